import { NavLink, Outlet, useLocation } from 'react-router';
import { Navigate } from 'react-router';
import { useEffect, useRef, useState } from 'react';
import { paths } from '../config/paths';
import { useSession } from '../lib/session';

/**
 * The frame of every signed-in page: a skip link, the navigation (a menu button on a phone),
 * and the page in <main>. Pages without a session redirect to sign-in, keeping where they were.
 */
export function AppLayout() {
  const { account, isAdmin, signOut } = useSession();
  const location = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  // After "Sign out" the sign-in page opens plain, not with this page as where to go next.
  const [signingOut, setSigningOut] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  useEffect(() => setMenuOpen(false), [location.pathname]);

  if (!account) {
    if (signingOut) return <Navigate to={paths.signIn} replace />;
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`${paths.signIn}?next=${encodeURIComponent(next)}`} replace />;
  }
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <NavLink to={paths.dashboard} className="brand" end>
          Flowline
        </NavLink>
        <button type="button" className="menu-button" aria-expanded={menuOpen} aria-controls="main-nav" onClick={() => setMenuOpen((open) => !open)}>
          Menu
        </button>
        <nav id="main-nav" aria-label="Main" className={menuOpen ? 'nav open' : 'nav'}>
          <NavLink to={paths.dashboard} end>
            Dashboard
          </NavLink>
          <NavLink to={paths.alarms}>Alarms</NavLink>
          <NavLink to={paths.developers}>Developers</NavLink>
          {isAdmin ? <NavLink to={paths.admin}>Admin</NavLink> : null}
          <NavLink to={paths.account}>My Account</NavLink>
        </nav>
        <p className="whoami muted">{account.name || account.email}</p>
        <button
          type="button"
          className="sign-out"
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true);
            void signOut();
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}

/** Pages reached without a session (sign-in, set-password): centred, no navigation. */
export function PublicLayout() {
  return (
    <div className="public-shell">
      <main id="main" className="public-main">
        <p className="brand brand-large">Flowline</p>
        <Outlet />
      </main>
    </div>
  );
}

/** Admin pages: admins and operators only; anyone else sees that the page is not theirs. */
export function RequireAdmin({ children }: { children: React.ReactNode }) {
  const { isAdmin } = useSession();
  if (!isAdmin) return <NotFound />;
  return <>{children}</>;
}

export function NotFound() {
  return (
    <section className="not-found">
      <h1>Not found</h1>
      <p>There is nothing at this address, or you do not have access to it.</p>
      <p>
        <NavLink to={paths.dashboard}>Back to the dashboard</NavLink>
      </p>
    </section>
  );
}
