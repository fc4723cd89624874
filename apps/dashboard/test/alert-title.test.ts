import { describe, expect, it } from "vitest";
import { alertTitle, toastTitle } from "../src/lib/format";

// Alert titles on the dashboard name registry entities: the alerter titles new alerts "<rule>: <name>", and titles of
// alerts fired before that (ending in the raw key, "…: E:nwm") are shown with the registry name once it is known.

describe("alertTitle", () => {
  const old = { title: "Sentiment drop: E:nwm", entity_key: "E:nwm" };

  it("replaces a trailing canonical key with the registry name", () => {
    expect(alertTitle(old, "Northwind Motors")).toBe("Sentiment drop: Northwind Motors");
    // The name an event carries wins over a looked-up one.
    expect(alertTitle({ ...old, entity_name: "Northwind Motors" }, null)).toBe("Sentiment drop: Northwind Motors");
  });

  it("leaves the title as it is while the name is unknown, for legacy keys and for titles already named", () => {
    expect(alertTitle(old, null)).toBe("Sentiment drop: E:nwm");
    expect(alertTitle({ title: "Sentiment drop: ORG:teslar", entity_key: "ORG:teslar" }, "Teslar")).toBe("Sentiment drop: ORG:teslar");
    const named = { title: "Sentiment drop: Northwind Motors", entity_key: "E:nwm", entity_name: "Northwind Motors" };
    expect(alertTitle(named, "Northwind Motors")).toBe("Sentiment drop: Northwind Motors");
    // A key that only ends the same way is not the entity.
    expect(alertTitle({ title: "Drop: XE:nwm", entity_key: "E:nwm" }, "Northwind Motors")).toBe("Drop: XE:nwm");
  });
});

describe("toastTitle", () => {
  it("drops the entity (key or name) the toast shows on the line above", () => {
    expect(toastTitle({ title: "Sentiment drop: E:nwm", entity_key: "E:nwm" }, null)).toBe("Sentiment drop");
    expect(toastTitle({ title: "Sentiment drop: Northwind Motors", entity_key: "E:nwm", entity_name: "Northwind Motors" }, null)).toBe(
      "Sentiment drop",
    );
    expect(toastTitle({ title: "Sentiment drop: Northwind Motors", entity_key: "E:nwm" }, "Northwind Motors")).toBe("Sentiment drop");
    expect(toastTitle({ title: "Custom title", entity_key: "E:nwm" }, "Northwind Motors")).toBe("Custom title");
  });
});
