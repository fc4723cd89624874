import type { Metadata } from "next";
import { StreamsView } from "./view";

export const metadata: Metadata = { title: "Streams" };

export default function Page() {
  return <StreamsView />;
}
