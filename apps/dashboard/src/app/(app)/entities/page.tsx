import type { Metadata } from "next";
import { TopMovers } from "../live-view";
import { PageHeader } from "../../../components/ui";

export const metadata: Metadata = { title: "Entities" };

export default function Page() {
  return (
    <>
      <PageHeader title="Entities" sub="Entities whose sentiment moved most against their baseline. Press / to jump to any entity." />
      <TopMovers />
    </>
  );
}
