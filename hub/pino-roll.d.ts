// pino-roll ships no types; this is the part of its API the hub uses (hub/log.ts).
declare module "pino-roll" {
  import type { DestinationStream } from "pino";

  export default function roll(options: {
    file: string;
    frequency?: "daily" | "hourly" | number;
    size?: string | number;
    dateFormat?: string;
    mkdir?: boolean;
    extension?: string;
    limit?: { count?: number; removeOtherLogFiles?: boolean };
  }): Promise<DestinationStream>;
}
