import { readFileSync } from "node:fs";
import nock from "nock";
import type { ContractFixtures } from "../../contract-fixtures.js";
import type { IcalConfig } from "../mapping.js";

/** A fixture feed's bytes, by file name. */
export const feed = (name: string) => readFileSync(new URL(name, import.meta.url));

export const FEED_ORIGIN = "https://calendar.example.jp";
export const FEED_PATH = "/calendar/ical/nukumori/private-5f2a/basic.ics";

/** How a midwife home that keys its bookings into Google Calendar would configure the connection. */
export const googleConfig = {
  url: `${FEED_ORIGIN}${FEED_PATH}`,
  rules: [
    { keyword: "宿泊", serviceType: "stay" },
    { keyword: "デイ", serviceType: "day", timeBlock: "day6h" },
    { keyword: "訪問", serviceType: "visit" },
  ],
  timeOfDay: [
    { timeBlock: "am", start: "09:00", end: "11:00", serviceType: "visit" },
    { timeBlock: "pm", start: "13:00", end: "15:00", serviceType: "visit" },
  ],
  ignoreKeywords: ["会議"],
} satisfies IcalConfig;

export const fixtures: ContractFixtures = {
  config: googleConfig,
  mockHttp() {
    const scope = nock(FEED_ORIGIN).persist().get(FEED_PATH).reply(200, feed("google-calendar-export.ics"), {
      "Content-Type": "text/calendar; charset=UTF-8",
      ETag: '"g-1"',
    });
    return () => {
      scope.persist(false);
      nock.cleanAll();
    };
  },
};
