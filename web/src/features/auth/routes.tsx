import type { RouteObject } from 'react-router';

/** Sign-in, set-password and reset-password pages (no session needed). */
export const authRoutes: RouteObject[] = [];
