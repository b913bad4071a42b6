import type { LoaderFunctionArgs, RouteObject } from 'react-router';
import { paths } from '../../config/paths';
import { CONTROLLERS_KEY, detailKey, FACILITIES_KEY, loaders } from './api';
import { prefetch } from './prefetch';
import { parseId, rangeFromParams, resolveRange } from './ranges';
import { chartWidth, fetchSeries, seriesKey } from './series-api';

/**
 * Starts the controller page's requests as soon as its URL is known (in parallel with the
 * session check and the page's code on a first visit): the controller, the lists, and each
 * charted channel's series for the range in the URL. Returns at once; the page picks them up.
 */
function prefetchController({ params, request }: LoaderFunctionArgs): null {
  const id = parseId(params.id);
  if (id === null) return null;
  prefetch(CONTROLLERS_KEY, loaders.fetchControllers);
  prefetch(FACILITIES_KEY, loaders.fetchFacilities);
  const { from, to } = resolveRange(rangeFromParams(new URL(request.url).searchParams), Date.now());
  const width = chartWidth();
  prefetch(detailKey(id), () => loaders.fetchControllerDetail(id))
    .then((detail) => {
      for (const ch of detail.channels) if (ch.process_id !== null) prefetch(seriesKey(ch.id, from, to, width), () => fetchSeries(ch.id, from, to, width));
    })
    .catch(() => undefined);
  return null;
}

/** The dashboard's pages, each lazy (uPlot loads only with a page that draws a chart). */
export const dashboardRoutes: RouteObject[] = [
  { index: true, lazy: async () => ({ Component: (await import('./dashboard-page')).DashboardPage }) },
  { path: paths.controller(':id'), loader: prefetchController, lazy: async () => ({ Component: (await import('./controller-page')).ControllerPage }) },
  { path: paths.flowSensor(':id'), lazy: async () => ({ Component: (await import('./flow-sensor-page')).FlowSensorPage }) },
  { path: paths.alarms, lazy: async () => ({ Component: (await import('./alarms-page')).AlarmsPage }) },
];
