import type { Metadata } from "next";
import { LiveView } from "./live-view";

export const metadata: Metadata = { title: "Live" };

export default function Page() {
  return <LiveView />;
}
