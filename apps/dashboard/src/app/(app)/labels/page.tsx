import type { Metadata } from "next";
import { LabelQueue } from "./view";

export const metadata: Metadata = { title: "Labelling" };

export default function Page() {
  return <LabelQueue />;
}
