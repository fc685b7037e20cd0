import { describe, expect, it } from "vitest";
import { availabilityDays } from "./availability-push.js";

const services = [
  { serviceType: "stay" as const, capacity: 3, timeBlocks: [] },
  {
    serviceType: "day" as const,
    capacity: 5,
    timeBlocks: [
      { code: "am", start: "09:00", end: "12:00" },
      { code: "pm", start: "13:00", end: "16:00" },
    ],
  },
];

describe("availabilityDays", () => {
  it("gives every time block of each noted day, from its slot or the service's default", () => {
    const days = availabilityDays(
      ["day|2026-12-11", "stay|2026-12-10"],
      services,
      [
        {
          serviceType: "stay",
          date: "2026-12-10",
          timeBlock: "",
          capacity: 3,
          booked: 2,
          external: 1,
          closed: false,
        },
        {
          serviceType: "day",
          date: "2026-12-11",
          timeBlock: "am",
          capacity: 5,
          booked: 6,
          external: 0,
          closed: false,
        },
      ],
      [],
    );
    expect(days).toEqual([
      // In (service, date) order of the keys: "day" before "stay".
      {
        serviceType: "day",
        date: "2026-12-11",
        timeBlock: "am",
        capacity: 5,
        booked: 6,
        external: 0,
        free: 0,
        closed: false,
      },
      {
        serviceType: "day",
        date: "2026-12-11",
        timeBlock: "pm",
        capacity: 5,
        booked: 0,
        external: 0,
        free: 5,
        closed: false,
      },
      {
        serviceType: "stay",
        date: "2026-12-10",
        timeBlock: "",
        capacity: 3,
        booked: 2,
        external: 1,
        free: 0,
        closed: false,
      },
    ]);
  });

  it("shows a day without a slot row as closed when a closure covers it, and leaves out services not offered", () => {
    const days = availabilityDays(
      ["stay|2026-12-24", "visit|2026-12-24", "day|2026-12-25"],
      services,
      [],
      [
        { date: "2026-12-24", serviceType: null },
        { date: "2026-12-25", serviceType: "stay" },
      ],
    );
    expect(days.map((d) => [d.serviceType, d.date, d.timeBlock, d.free, d.closed])).toEqual([
      ["day", "2026-12-25", "am", 5, false],
      ["day", "2026-12-25", "pm", 5, false],
      ["stay", "2026-12-24", "", 0, true],
    ]);
  });
});
