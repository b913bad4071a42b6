import { createBrowserRouter, type RouteObject } from 'react-router';
import { Loading } from '../components/ui/ui';
import { APP_BASE } from '../config/paths';
import { AppLayout, NotFound, PublicLayout } from './layout';
import { RouteError } from './route-error';
import { authRoutes } from '../features/auth/routes';
import { accountRoutes } from '../features/account/routes';
import { developersRoutes } from '../features/developers/routes';
import { dashboardRoutes } from '../features/dashboard/routes';
import { adminRoutes } from '../features/admin/routes';

/**
 * Each area declares its own routes (features/<area>/routes.tsx); pages are lazy, so the
 * first load carries only the shell and the page it opens.
 */
/** Shown while the first page's code (a lazy route) and loader settle on the first load. */
function PageLoading() {
  return <Loading />;
}

const routes: RouteObject[] = [
  { element: <PublicLayout />, errorElement: <RouteError />, HydrateFallback: PageLoading, children: authRoutes },
  {
    element: <AppLayout />,
    errorElement: <RouteError />,
    HydrateFallback: PageLoading,
    children: [...dashboardRoutes, ...accountRoutes, ...developersRoutes, ...adminRoutes, { path: '*', element: <NotFound /> }],
  },
];

export const router = createBrowserRouter(routes, { basename: APP_BASE });
