import type { NextConfig } from "next";

/**
 * Served by the API process in production (`next({ dir })` request handler for every non-/api path), so the API and
 * socket.io are same-origin. For `next dev` / `next start` on their own, set FINSENTRY_API=http://localhost:3000 and
 * /api/* and /socket.io/* are proxied there.
 */
const api = process.env.FINSENTRY_API?.replace(/\/$/, "");

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
  transpilePackages: ["@finsentry/schemas"],
  // The API process owns /api and /socket.io; never let a stray static export happen.
  output: undefined,
  devIndicators: false,
  // socket.io polls `/socket.io/?EIO=…`: keep the trailing slash instead of redirecting it away.
  skipTrailingSlashRedirect: true,
  async rewrites() {
    if (!api) return [];
    return [
      { source: "/api/:path*", destination: `${api}/api/:path*` },
      { source: "/socket.io/:path*", destination: `${api}/socket.io/:path*` },
      { source: "/socket.io/", destination: `${api}/socket.io/` },
    ];
  },
};

export default config;
