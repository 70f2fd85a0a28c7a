// The catalog page: a search box over /api/titles, results with "Load more", errors shown plainly.
import { useCallback, useEffect, useRef, useState } from "react";
import { describeError, fetchTitles } from "./api.js";
import { EmptyState, ErrorBanner, TitleTable } from "./components.jsx";

export default function App() {
  const [draft, setDraft] = useState("");
  const [query, setQuery] = useState("");
  const [items, setItems] = useState([]);
  const [nextCursor, setNextCursor] = useState(null);
  const [status, setStatus] = useState("loading"); // loading | ready | error
  const [error, setError] = useState("");

  // Only the newest request may update the page: a slow answer to an older search is dropped.
  const latest = useRef(0);

  const load = useCallback(async (q, cursor) => {
    const ticket = ++latest.current;
    setStatus("loading");
    try {
      const page = await fetchTitles({ q, cursor });
      if (ticket !== latest.current) return;
      setItems((previous) => (cursor ? [...previous, ...page.items] : page.items));
      setNextCursor(page.nextCursor);
      setStatus("ready");
    } catch (caught) {
      if (ticket !== latest.current) return;
      if (!cursor) setItems([]);
      setError(describeError(caught));
      setStatus("error");
    }
  }, []);

  useEffect(() => {
    load(query, null);
  }, [load, query]);

  const submit = (event) => {
    event.preventDefault();
    if (draft.trim() === query) load(query, null);
    else setQuery(draft.trim());
  };

  return (
    <main>
      <h1>Media catalog</h1>
      <form role="search" onSubmit={submit}>
        <label htmlFor="q">Search titles</label>
        <input id="q" name="q" type="search" value={draft} maxLength={100} onChange={(e) => setDraft(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      {status === "error" ? <ErrorBanner message={error} onRetry={() => load(query, null)} /> : null}
      {status === "loading" && items.length === 0 ? <p aria-live="polite">Loading…</p> : null}
      {status !== "error" && status !== "loading" && items.length === 0 ? <EmptyState query={query} /> : null}
      {items.length > 0 ? <TitleTable items={items} /> : null}
      {nextCursor && status !== "error" ? (
        <button type="button" className="more" disabled={status === "loading"} onClick={() => load(query, nextCursor)}>
          Load more
        </button>
      ) : null}
    </main>
  );
}
