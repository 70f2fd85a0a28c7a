// Presentational pieces of the catalog page: the table, the empty state and the error banner.
import { formatDuration } from "./api.js";

export function TitleTable({ items }) {
  return (
    <table className="titles">
      <thead>
        <tr>
          <th scope="col">Title</th>
          <th scope="col">Year</th>
          <th scope="col">Genres</th>
          <th scope="col">Duration</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={item.id} data-testid="title-row">
            <td>{item.title}</td>
            <td>{item.year}</td>
            <td>{item.genres.join(", ")}</td>
            <td>{formatDuration(item.durationMinutes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EmptyState({ query }) {
  return (
    <p className="empty" data-testid="empty-state">
      {query ? `No titles match “${query}”.` : "The catalog has no titles yet."}
    </p>
  );
}

export function ErrorBanner({ message, onRetry }) {
  return (
    <div className="error-banner" role="alert">
      <strong>Could not load titles:</strong> {message}
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}
