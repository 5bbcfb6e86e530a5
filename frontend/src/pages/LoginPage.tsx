import { useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router-dom";

import { useLoginMutation } from "../api/rentezy";
import { useAppDispatch } from "../app/hooks";
import { ErrorMessage } from "../components/Status";
import { usePageTitle } from "../components/usePageTitle";
import { signedIn, type SessionUser } from "../features/auth/authSlice";

export function LoginPage() {
  usePageTitle("Sign in");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [login, { isLoading, error }] = useLoginMutation();
  const dispatch = useAppDispatch();
  const navigate = useNavigate();
  const location = useLocation();
  const next = (location.state as { from?: string } | null)?.from ?? "/";

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const answer = await login({ email, password }).unwrap();
      dispatch(
        signedIn({ access: answer.access, refresh: answer.refresh, user: answer.user as SessionUser }),
      );
      navigate(next, { replace: true });
    } catch {
      // shown below from the mutation's error
    }
  }

  return (
    <section className="mx-auto max-w-md">
      <h1 className="mb-6 text-2xl font-bold">Sign in</h1>
      <form onSubmit={submit} className="card space-y-4 p-6" noValidate>
        {error && <ErrorMessage error={error} />}
        <div>
          <label htmlFor="email" className="label">
            E-mail
          </label>
          <input id="email" type="email" autoComplete="email" required className="field" value={email} onChange={(e) => setEmail(e.target.value)} />
        </div>
        <div>
          <label htmlFor="password" className="label">
            Password
          </label>
          <input id="password" type="password" autoComplete="current-password" required className="field" value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <button type="submit" className="btn-primary w-full" disabled={isLoading}>
          {isLoading ? "Signing in…" : "Sign in"}
        </button>
        <p className="text-center text-sm text-slate-600">
          <Link to="/reset-password" className="font-medium text-brand-700 underline">
            Forgot your password?
          </Link>
        </p>
        <p className="text-center text-sm text-slate-600">
          New here?{" "}
          <Link to="/register" className="font-medium text-brand-700 underline">
            Create an account
          </Link>
        </p>
      </form>
    </section>
  );
}
