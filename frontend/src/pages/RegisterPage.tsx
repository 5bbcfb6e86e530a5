import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router-dom";

import { useLoginMutation, useRegisterMutation } from "../api/rentezy";
import { useAppDispatch } from "../app/hooks";
import { ErrorMessage } from "../components/Status";
import { usePageTitle } from "../components/usePageTitle";
import { signedIn, type SessionUser } from "../features/auth/authSlice";

export function RegisterPage() {
  usePageTitle("Create account");
  const [form, setForm] = useState({ full_name: "", email: "", password: "", role: "tenant" as "tenant" | "landlord" });
  const [register, registering] = useRegisterMutation();
  const [login, loggingIn] = useLoginMutation();
  const dispatch = useAppDispatch();
  const navigate = useNavigate();
  const error = registering.error ?? loggingIn.error;

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await register(form).unwrap();
      const answer = await login({ email: form.email, password: form.password }).unwrap();
      dispatch(signedIn({ access: answer.access, refresh: answer.refresh, user: answer.user as SessionUser }));
      navigate("/", { replace: true });
    } catch {
      // shown below
    }
  }

  const busy = registering.isLoading || loggingIn.isLoading;
  return (
    <section className="mx-auto max-w-md">
      <h1 className="mb-6 text-2xl font-bold">Create your account</h1>
      <form onSubmit={submit} className="card space-y-4 p-6" noValidate>
        {error && <ErrorMessage error={error} />}
        <div>
          <label htmlFor="full_name" className="label">
            Full name
          </label>
          <input id="full_name" autoComplete="name" className="field" value={form.full_name} onChange={(e) => setForm({ ...form, full_name: e.target.value })} />
        </div>
        <div>
          <label htmlFor="email" className="label">
            E-mail
          </label>
          <input id="email" type="email" autoComplete="email" className="field" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
        </div>
        <div>
          <label htmlFor="password" className="label">
            Password
          </label>
          <input id="password" type="password" autoComplete="new-password" aria-describedby="password-help" className="field" value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} />
          <p id="password-help" className="mt-1 text-xs text-slate-600">
            At least 10 characters, not only digits.
          </p>
        </div>
        <fieldset>
          <legend className="label">I am a</legend>
          <div className="flex gap-4">
            {(["tenant", "landlord"] as const).map((role) => (
              <label key={role} className="flex items-center gap-2 text-sm">
                <input type="radio" name="role" value={role} checked={form.role === role} onChange={() => setForm({ ...form, role })} />
                {role === "tenant" ? "Tenant, looking for a home" : "Landlord, renting out"}
              </label>
            ))}
          </div>
        </fieldset>
        <button type="submit" className="btn-primary w-full" disabled={busy}>
          {busy ? "Creating…" : "Create account"}
        </button>
        <p className="text-center text-sm text-slate-600">
          Already registered?{" "}
          <Link to="/login" className="font-medium text-brand-700 underline">
            Sign in
          </Link>
        </p>
      </form>
    </section>
  );
}
