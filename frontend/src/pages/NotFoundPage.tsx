import { Link } from "react-router-dom";

import { usePageTitle } from "../components/usePageTitle";

export function NotFoundPage() {
  usePageTitle("Not found");
  return (
    <section className="card mx-auto max-w-md p-8 text-center">
      <h1 className="text-2xl font-bold">This page does not exist</h1>
      <p className="mt-2 text-slate-600">The link may be old, or the address mistyped.</p>
      <Link to="/" className="btn-primary mt-6">
        Back to search
      </Link>
    </section>
  );
}
