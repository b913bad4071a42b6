import type { RouteObject } from 'react-router';
import { paths } from '../../config/paths';

export const developersRoutes: RouteObject[] = [{ path: paths.developers, lazy: async () => ({ Component: (await import('./developers-page')).DevelopersPage }) }];
