/**
 * Every page's URL in one place (inside the router's /app basename). Links and redirects use
 * these, never string literals, so a moved page moves everywhere.
 */
export const paths = {
  dashboard: '/',
  controller: (id: number | string) => `/controllers/${id}`,
  flowSensor: (id: number | string) => `/flow-sensors/${id}`,
  alarms: '/alarms',
  account: '/account',
  developers: '/developers',
  admin: '/admin',
  adminUsers: '/admin/users',
  adminClients: '/admin/api-clients',
  adminSites: '/admin/sites',
  adminController: (id: number | string) => `/admin/controllers/${id}`,
  adminCustomers: '/admin/customers',
  signIn: '/sign-in',
  setPassword: '/set-password',
  resetPassword: '/reset-password',
} as const;

/** The router's basename: the server serves the app under /app. */
export const APP_BASE = '/app';
