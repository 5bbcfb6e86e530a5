import { Link, NavLink, Outlet, useNavigate } from "react-router-dom";

import { useLogoutMutation } from "../api/rentezy";
import { useAppDispatch, useAppSelector } from "../app/hooks";
import { signedOut } from "../features/auth/authSlice";
import { NotificationBell } from "../features/notifications/NotificationBell";

const navClass = ({ isActive }: { isActive: boolean }) =>
  `rounded-md px-3 py-2 text-sm font-medium ${isActive ? "bg-brand-50 text-brand-700" : "text-slate-700 hover:bg-slate-100"}`;

export function Layout() {
  const { user, refresh } = useAppSelector((state) => state.auth);
  const dispatch = useAppDispatch();
  const navigate = useNavigate();
  const [logout] = useLogoutMutation();

  async function signOut() {
    if (refresh) {
      await logout({ refresh }).unwrap().catch(() => undefined);
    }
    dispatch(signedOut());
    navigate("/");
  }

  return (
    <div className="flex min-h-screen flex-col">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:p-2">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <Link to="/" className="flex items-center gap-2 text-lg font-bold text-brand-700">
            <img src="/favicon.svg" alt="" className="h-7 w-7" />
            RentEzy
          </Link>
          <nav aria-label="Main" className="flex flex-wrap items-center gap-1">
            <NavLink to="/" end className={navClass}>
              Search
            </NavLink>
            {user ? (
              <>
                {user.role === "landlord" && (
                  <NavLink to="/landlord" className={navClass}>
                    My properties
                  </NavLink>
                )}
                <NavLink to="/bookings" className={navClass}>
                  Bookings
                </NavLink>
                <NavLink to="/chat" className={navClass}>
                  Messages
                </NavLink>
                <NavLink to="/rent" className={navClass}>
                  Rent
                </NavLink>
                <NotificationBell />
                <Link to="/profile" className="rounded-md px-3 py-2 text-sm text-slate-600 hover:bg-slate-100" data-testid="signed-in-as">
                  {user.full_name} · {user.role}
                </Link>
                <button type="button" className="btn-secondary" onClick={signOut}>
                  Sign out
                </button>
              </>
            ) : (
              <>
                <NavLink to="/login" className={navClass}>
                  Sign in
                </NavLink>
                <NavLink to="/register" className={navClass}>
                  Create account
                </NavLink>
              </>
            )}
          </nav>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6">
        <Outlet />
      </main>
      <footer className="border-t border-slate-200 bg-white py-4 text-center text-xs text-slate-600">
        RentEzy · find a home, book a viewing, pay rent, talk to your landlord
      </footer>
    </div>
  );
}
