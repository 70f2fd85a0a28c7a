fetch("/api/products?limit=20", {headers: {accept: "application/json"}})
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error("HTTP " + r.status))))
  .then((page) => {
    const list = document.getElementById("products");
    for (const p of page.items) {
      const li = document.createElement("li");
      li.textContent = `${p.name} (${p.sku}): ${p.price}, ${p.stock} left`;
      list.appendChild(li);
    }
    document.getElementById("status").textContent = page.items.length ? "" : "No products yet.";
  })
  .catch((e) => { document.getElementById("status").textContent = "Catalog unavailable (" + e.message + ")"; });
