import { describe, expect, it } from "vitest";
import type { Booking, Slot } from "./api";
import { boardColumns, occupancyBoard } from "./occupancy";

const booking = (o: Partial<Booking>): Booking =>
  ({
    id: o.id ?? "b",
    facilityId: "f",
    serviceType: "stay",
    startDate: "2026-12-07",
    endDate: "2026-12-08",
    timeBlock: "",
    status: "confirmed",
    source: "portal",
    revision: 0,
    createdAt: "2026-12-01T00:00:00Z",
    ...o,
  }) as Booking;
const slot = (o: Partial<Slot>): Slot => ({
  date: "2026-12-07",
  serviceType: "stay",
  timeBlock: "",
  capacity: 3,
  free: 3,
  closed: false,
  ...o,
});

describe("occupancyBoard: places taken against capacity, per day and block", () => {
  const columns = boardColumns([
    { serviceType: "stay", timeBlocks: [] },
    {
      serviceType: "day",
      timeBlocks: [
        { code: "am", start: "09:00", end: "12:00" },
        { code: "pm", start: "13:00", end: "16:00" },
      ],
    },
  ]);
  const days = ["2026-12-07", "2026-12-08", "2026-12-09"];

  it("has one column per stay and per time block of day care", () => {
    expect(columns.map((c) => `${c.serviceType}:${c.timeBlock}`)).toEqual(["stay:", "day:am", "day:pm"]);
  });

  it("puts a stay on each night (not the day of leaving) and a day booking in its block, counting them", () => {
    const stay = booking({ id: "s", startDate: "2026-12-07", endDate: "2026-12-09" });
    const pm = booking({
      id: "p",
      serviceType: "day",
      timeBlock: "pm",
      startDate: "2026-12-08",
      endDate: "2026-12-08",
    });
    const gone = booking({ id: "x", status: "cancelled" });
    const slots = [
      slot({}),
      slot({ date: "2026-12-08" }),
      slot({ date: "2026-12-08", serviceType: "day", timeBlock: "pm", capacity: 2 }),
      slot({ date: "2026-12-09", closed: true, capacity: 0 }),
    ];
    const board = occupancyBoard(days, columns, [stay, pm, gone], slots);
    const view = board.map((r) => r.cells.map((c) => `${c.taken}/${c.capacity}${c.closed ? "x" : ""}`));
    expect(view).toEqual([
      ["1/3", "0/0", "0/0"],
      ["1/3", "0/0", "1/2"],
      ["0/0x", "0/0", "0/0"],
    ]);
    expect(board[1]?.cells[2]?.bookings.map((b) => b.id)).toEqual(["p"]);
    expect(board[0]?.cells[0]?.bookings.map((b) => b.id)).toEqual(["s"]);
  });

  it("without slots (across facilities) has no capacity; an unknown block goes in its service's first column", () => {
    const odd = booking({
      serviceType: "day",
      timeBlock: "old",
      startDate: "2026-12-09",
      endDate: "2026-12-09",
    });
    const board = occupancyBoard(days, columns, [odd]);
    expect(board[2]?.cells.map((c) => [c.taken, c.capacity])).toEqual([
      [0, null],
      [1, null],
      [0, null],
    ]);
  });
});
