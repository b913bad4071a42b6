import type { RouteObject } from 'react-router';
import { paths } from '../../config/paths';

/** Sign-in, set-password and reset-password pages (no session needed). */
export const authRoutes: RouteObject[] = [
  { path: paths.signIn, lazy: async () => ({ Component: (await import('./sign-in-page')).SignInPage }) },
  { path: paths.setPassword, lazy: async () => ({ Component: (await import('./set-password-page')).SetPasswordPage }) },
  { path: paths.resetPassword, lazy: async () => ({ Component: (await import('./reset-password-page')).ResetPasswordPage }) },
];
