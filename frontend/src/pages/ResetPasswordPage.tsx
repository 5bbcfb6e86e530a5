import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";

import { useConfirmResetMutation, useRequestResetMutation } from "../api/rentezy";
import { ErrorMessage } from "../components/Status";
import { usePageTitle } from "../components/usePageTitle";

/** Without a token: ask for a reset e-mail. With the e-mail's token: choose a new password. */
export function ResetPasswordPage() {
  usePageTitle("Reset password");
  const [params] = useSearchParams();
  const token = params.get("token");
  return (
    <section className="mx-auto max-w-md">
      <h1 className="mb-6 text-2xl font-bold">Reset your password</h1>
      {token ? <ChooseNew token={token} /> : <AskForLink />}
    </section>
  );
}

function AskForLink() {
  const [email, setEmail] = useState("");
  const [request, requesting] = useRequestResetMutation();
  const [sent, setSent] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await request({ email }).unwrap();
      setSent(true);
    } catch {
      // shown below
    }
  }

  if (sent) {
    return (
      <p role="status" className="card p-6 text-sm">
        If an account uses {email}, a link to reset its password is on its way. It works for a limited time.
      </p>
    );
  }
  return (
    <form onSubmit={submit} className="card space-y-4 p-6">
      {requesting.error && <ErrorMessage error={requesting.error} />}
      <div>
        <label htmlFor="reset-email" className="label">
          E-mail
        </label>
        <input id="reset-email" type="email" autoComplete="email" className="field" value={email} onChange={(e) => setEmail(e.target.value)} />
      </div>
      <button type="submit" className="btn-primary w-full" disabled={requesting.isLoading || !email}>
        Send me a link
      </button>
    </form>
  );
}

function ChooseNew({ token }: { token: string }) {
  const [password, setPassword] = useState("");
  const [confirm, confirming] = useConfirmResetMutation();
  const [done, setDone] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await confirm({ token, new_password: password }).unwrap();
      setDone(true);
    } catch {
      // shown below
    }
  }

  if (done) {
    return (
      <p role="status" className="card p-6 text-sm">
        Your password was changed.{" "}
        <Link to="/login" className="font-medium text-brand-700 underline">
          Sign in
        </Link>
      </p>
    );
  }
  return (
    <form onSubmit={submit} className="card space-y-4 p-6">
      {confirming.error && <ErrorMessage error={confirming.error} />}
      <div>
        <label htmlFor="reset-password" className="label">
          New password
        </label>
        <input id="reset-password" type="password" autoComplete="new-password" className="field" value={password} onChange={(e) => setPassword(e.target.value)} />
      </div>
      <button type="submit" className="btn-primary w-full" disabled={confirming.isLoading || !password}>
        Set new password
      </button>
    </form>
  );
}
