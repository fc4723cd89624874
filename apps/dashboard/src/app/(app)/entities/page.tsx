import type { Metadata } from "next";
import { TopMovers } from "../live-view";
import { RegistrySearch } from "../../../components/entity-registry";
import { PageHeader } from "../../../components/ui";

export const metadata: Metadata = { title: "Entities" };

export default function Page() {
  return (
    <>
      <PageHeader
        title="Entities"
        sub="The entity registry (search, aliases, merges, history) and the entities whose sentiment moved most against their baseline. Press / to jump to any entity."
      />
      <RegistrySearch />
      <div style={{ marginTop: 16 }}>
        <TopMovers />
      </div>
    </>
  );
}
