import http from "node:http";
import type { AddressInfo } from "node:net";

export type FacilitySystem = {
  /** Every request it received, in order. */
  hits: { url: string; host: string }[];
  port: number;
  close(): Promise<void>;
};

/**
 * A facility's system on this machine, as far as the hub's outbound requests go: an empty calendar anywhere, a
 * booking API under /api/ (201 with a reservation id), a redirect to `?url=` at /to and a redirect loop at /loop.
 * It records every request, so a test can tell that the hub never connected.
 */
export async function facilitySystem(): Promise<FacilitySystem> {
  const hits: { url: string; host: string }[] = [];
  const server = http.createServer((req, res) => {
    hits.push({ url: req.url ?? "", host: req.headers.host ?? "" });
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/to") {
      res.writeHead(302, { location: url.searchParams.get("url") ?? "/" }).end();
    } else if (url.pathname === "/loop") {
      res.writeHead(302, { location: "/loop" }).end();
    } else if (url.pathname.startsWith("/api/")) {
      res.writeHead(201, { "content-type": "application/json" }).end('{"reservation":{"id":"RSV-1"}}');
    } else {
      res.writeHead(200, { "content-type": "text/calendar" }).end("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n");
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    hits,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
