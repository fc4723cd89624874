import { instrumentIdOfTicker } from "@finsentry/schemas";
import type { RegistryEntity } from "./types.ts";

/**
 * The demo stream's fictional companies (COMPANIES in packages/pipeline/src/demo-source.ts), registered when the demo
 * runs, so "$NWM", "#NWM", "Northwind Motors Inc.", "Northwind's" and "Northwind" all key one entity.
 */
const DEMO: readonly (readonly [name: string, ticker: string, aliases: readonly string[]])[] = [
  ["Northwind Motors", "NWM", ["Northwind"]],
  ["Contoso Pharma", "CTSO", ["Contoso Pharmaceuticals", "Contoso"]],
  ["Fabrikam Energy", "FBK", ["Fabrikam"]],
  ["Tailspin Airlines", "TSPN", ["Tailspin"]],
  ["Litware Bank", "LTW", ["Litware"]],
  ["Adatum Robotics", "ADTM", ["Adatum"]],
  ["Woodgrove Retail", "WGRV", ["Woodgrove"]],
  ["Proseware Cloud", "PRSW", ["Proseware"]],
];

export const DEMO_ENTITIES: RegistryEntity[] = DEMO.map(([name, ticker, aliases]) => ({
  id: instrumentIdOfTicker(ticker),
  kind: "instrument",
  name,
  ticker,
  exchange: "DEMO",
  aliases: [...aliases],
}));
