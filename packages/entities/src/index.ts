export * from "./types.ts";
export { companyOfSecurity, normaliseAlias } from "./normalise.ts";
export { EntityResolver } from "./resolver.ts";
export { resolveTaggedTicker } from "./tagged.ts";
export { loadListings, type Listings, type ListingReject } from "./listings.ts";
export { isWordLikeTicker } from "./words.ts";
export { DEMO_ENTITIES } from "./demo.ts";
export * from "./store/index.ts";
