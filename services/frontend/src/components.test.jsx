import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { EmptyState, ErrorBanner, TitleTable } from "./components.jsx";

describe("components", () => {
  it("renders one row per title with its fields", () => {
    const html = renderToStaticMarkup(
      <TitleTable items={[{ id: 1, title: "Alien", year: 1979, genres: ["sci-fi", "horror"], durationMinutes: 117 }]} />,
    );
    expect(html).toContain('<tr data-testid="title-row"><td>Alien</td><td>1979</td><td>sci-fi, horror</td><td>1 h 57 min</td></tr>');
  });

  it("names the query in the empty state", () => {
    expect(renderToStaticMarkup(<EmptyState query="zzz" />)).toContain("No titles match “zzz”.");
    expect(renderToStaticMarkup(<EmptyState query="" />)).toContain("The catalog has no titles yet.");
  });

  it("shows errors in an alert", () => {
    const html = renderToStaticMarkup(<ErrorBanner message="boom (HTTP 503)" />);
    expect(html).toBe('<div class="error-banner" role="alert"><strong>Could not load titles:</strong> boom (HTTP 503)</div>');
  });
});
