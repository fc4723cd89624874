import type { Metadata } from "next";
import { Suspense } from "react";
import { RulesView } from "./view";

export const metadata: Metadata = { title: "Rules" };

export default function Page() {
  return (
    <Suspense>
      <RulesView />
    </Suspense>
  );
}
