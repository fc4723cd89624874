import type { Metadata } from "next";
import { EntityView } from "./view";

export async function generateMetadata({ params }: { params: Promise<{ key: string }> }): Promise<Metadata> {
  const { key } = await params;
  return { title: decodeURIComponent(key) };
}

export default async function Page({ params }: { params: Promise<{ key: string }> }) {
  const { key } = await params;
  return <EntityView entityKey={decodeURIComponent(key)} />;
}
