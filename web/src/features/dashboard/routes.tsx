import type { RouteObject } from 'react-router';
import { paths } from '../../config/paths';

/** The dashboard's pages, each lazy (uPlot loads only with a page that draws a chart). */
export const dashboardRoutes: RouteObject[] = [
  { index: true, lazy: async () => ({ Component: (await import('./dashboard-page')).DashboardPage }) },
  { path: paths.controller(':id'), lazy: async () => ({ Component: (await import('./controller-page')).ControllerPage }) },
  { path: paths.flowSensor(':id'), lazy: async () => ({ Component: (await import('./flow-sensor-page')).FlowSensorPage }) },
  { path: paths.alarms, lazy: async () => ({ Component: (await import('./alarms-page')).AlarmsPage }) },
];
