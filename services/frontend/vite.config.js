// Vite build of the media catalog (dist/) and the Vitest setup for its unit tests.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  // Local development: `npm run dev` style proxying is not used; the static server proxies /api.
  test: { environment: "node", include: ["src/**/*.test.{js,jsx}", "server/**/*.test.js"] },
});
