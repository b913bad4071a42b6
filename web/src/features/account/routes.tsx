import type { RouteObject } from 'react-router';
import { paths } from '../../config/paths';

export const accountRoutes: RouteObject[] = [{ path: paths.account, lazy: async () => ({ Component: (await import('./account-page')).AccountPage }) }];
