import { isRouteErrorResponse, Link, useRouteError } from 'react-router';
import { paths } from '../config/paths';

/** A page that failed to load or render: one clear line, and a way back. */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : error instanceof Error ? error.message : 'Something went wrong.';
  return (
    <main id="main" className="not-found">
      <h1>Something went wrong</h1>
      <p role="alert">{message}</p>
      <p>
        <Link to={paths.dashboard}>Back to the dashboard</Link>
      </p>
    </main>
  );
}
