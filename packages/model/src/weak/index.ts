export { weakLabel, resolveOverlaps } from "./tagger.ts";
export { mergeWithGold, completeTypesFor, withWeakEntities } from "./merge.ts";
export { createGazetteer, commonWords, type Gazetteer, type GazetteerOptions, type ListingEntry } from "./gazetteer.ts";
export { loadGazetteer, loadListings, type TickerLoadStats } from "./loadTickers.ts";
export { registeredName, coreName } from "./companyName.ts";
export { LOCATIONS } from "./locations.ts";
