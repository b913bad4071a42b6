import type { RouteObject } from 'react-router';
import { paths } from '../../config/paths';

/** /admin and its pages, inside AdminLayout (admins and operators; anyone else sees "Not found"). */
export const adminRoutes: RouteObject[] = [
  {
    path: paths.admin,
    lazy: async () => ({ Component: (await import('./admin-layout')).AdminLayout }),
    children: [
      { index: true, lazy: async () => ({ Component: (await import('./overview-page')).AdminOverviewPage }) },
      { path: paths.adminUsers, lazy: async () => ({ Component: (await import('./users-page')).UsersPage }) },
      { path: paths.adminClients, lazy: async () => ({ Component: (await import('./api-clients-page')).ApiClientsPage }) },
      { path: paths.adminSites, lazy: async () => ({ Component: (await import('./sites-page')).SitesPage }) },
      { path: paths.adminController(':id'), lazy: async () => ({ Component: (await import('./controller-page')).ControllerAdminPage }) },
      { path: paths.adminCustomers, lazy: async () => ({ Component: (await import('./customers-page')).CustomersPage }) },
    ],
  },
];
