import type { Metadata } from "next";
import { Suspense } from "react";
import { AlertsView } from "./view";

export const metadata: Metadata = { title: "Alerts" };

export default function Page() {
  return (
    <Suspense>
      <AlertsView />
    </Suspense>
  );
}
