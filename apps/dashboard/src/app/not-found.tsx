import Link from "next/link";

export default function NotFound() {
  return (
    <div className="signin-wrap">
      <div className="card signin" style={{ textAlign: "center" }}>
        <h1 style={{ marginTop: 0 }}>Page not found</h1>
        <p className="muted" style={{ margin: "8px 0 16px" }}>
          There is nothing at this address.
        </p>
        <Link className="btn btn-primary" href="/">
          Back to Live
        </Link>
      </div>
    </div>
  );
}
