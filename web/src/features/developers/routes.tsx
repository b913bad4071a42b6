import type { RouteObject } from 'react-router';

export const developersRoutes: RouteObject[] = [];
