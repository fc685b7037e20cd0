import { createSignal, For, type JSX, onCleanup, Show } from "solid-js";
import { ApiError, api, type Booking, type RedemptionLookup, SERVICE_TYPES } from "../api";
import { bookingDates } from "../components/BookingList";
import { Button } from "../components/Button";
import { errorText } from "../components/ErrorMessage";
import { TextField } from "../components/Field";
import { RequireRole } from "../components/Guard";
import { Page } from "../components/Page";
import { formatDate, formatYen } from "../format";
import { label, t } from "../i18n";

/**
 * 使用済処理 at the front desk (facility staff): read the resident's voucher with the camera, from a photo or by
 * typing its number; the hub answers with the voucher, the resident's name and this facility's bookings on it
 * that are due, each with the copay to collect; "Mark as used" redeems one. The three ways to read stay
 * independent: a refused or missing camera leaves the photo and the number working.
 */
export function Redeem() {
  return (
    <RequireRole roles={["facility"]} title={t().redeem.title}>
      {() => <RedeemDesk />}
    </RequireRole>
  );
}

type Via = "camera" | "photo" | "manual";
/** A refusal and where to show it: the way the voucher was read, or the id of the booking being redeemed. */
type Problem = { error: unknown; where: Via | string };
const PROBLEM_ID = "redeem-problem";
const isVia = (where: string): where is Via => where === "camera" || where === "photo" || where === "manual";
type Decoder = typeof import("jsqr")["default"];
type CameraState = "off" | "starting" | "on";

/** jsQR is loaded on first use, so the portal's main bundle stays small. */
let decoder: Promise<Decoder> | undefined;
const loadDecoder = () => {
  decoder ??= import("jsqr").then((m) => m.default);
  return decoder;
};

/** The QR code in an image (largest side scaled to at most `maxSide`), or null. */
function decodeImage(
  decode: Decoder,
  source: CanvasImageSource,
  width: number,
  height: number,
  maxSide: number,
  canvas: HTMLCanvasElement,
  invert: boolean,
): string | null {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  if (!ctx) return null;
  ctx.drawImage(source, 0, 0, w, h);
  const pixels = ctx.getImageData(0, 0, w, h);
  const found = decode(pixels.data, w, h, { inversionAttempts: invert ? "attemptBoth" : "dontInvert" });
  return found?.data ? found.data : null;
}

/** Yen with the sign in front: a reduction reads −¥1,000, not ¥-1,000. */
const signedYen = (n: number) => (n < 0 ? `−${formatYen(-n)}` : formatYen(n));

/** Why getUserMedia failed, as a sentence. */
function cameraProblem(err: unknown): string {
  const c = t().redeem.camera;
  const name = err instanceof DOMException || err instanceof Error ? err.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") return c.denied;
  if (name === "NotFoundError" || name === "OverconstrainedError" || name === "DevicesNotFoundError") {
    return c.notFound;
  }
  return c.failed;
}

/**
 * The sentence for a refusal: by its code, or for a number or QR code that cannot be read, by what is wrong
 * with it; a 404 on looking up is a number no voucher has. A refusal the portal has no sentence for is still a
 * refusal, not a clash or a typing error: a plain heading, with the hub's detail under it.
 */
function problemSentence(err: unknown, lookingUp: boolean): string {
  const p = t().redeem.problems;
  if (!(err instanceof ApiError)) return errorText(err);
  const reason = err.code === "invalid_voucher_code" ? err.errors[0]?.message : undefined;
  const key =
    reason && p[reason] ? reason : err.code === "not_found" && lookingUp ? "unknown_voucher" : err.code;
  return p[key] ?? ([404, 409, 422].includes(err.status) ? t().redeem.problemTitle : errorText(err));
}

/** A refusal, announced (role=alert) and focusable, so focus can move to it; only one is shown at a time. */
function ProblemBox(props: { error: unknown; lookingUp: boolean }) {
  const detail = () => (props.error instanceof ApiError ? props.error.detail : undefined);
  return (
    <div tabindex="-1" id={PROBLEM_ID} class="alert alert-error" role="alert">
      <p class="alert-title">{problemSentence(props.error, props.lookingUp)}</p>
      <Show when={detail()}>
        {/* The hub's details are in English. */}
        <p lang="en">{detail()}</p>
      </Show>
    </div>
  );
}

function RedeemDesk() {
  const r = () => t().redeem;
  const [result, setResult] = createSignal<RedemptionLookup>();
  const [problem, setProblem] = createSignal<Problem>();
  const [outcomes, setOutcomes] = createSignal<Record<string, "redeemed" | "already">>({});
  const [busy, setBusy] = createSignal<string>();
  /** The name of the photo last chosen, shown beside the picker (the control itself is hidden). */
  const [fileName, setFileName] = createSignal("");
  const [status, setStatus] = createSignal("");
  const [manualError, setManualError] = createSignal<string>();
  const [photoError, setPhotoError] = createSignal<string>();
  const [camera, setCamera] = createSignal<CameraState>("off");
  const [cameraNote, setCameraNote] = createSignal<{ text: string; error: boolean }>();

  let manualInput: HTMLInputElement | undefined;
  let photoInput!: HTMLInputElement;
  let video!: HTMLVideoElement;
  let resultHeading: HTMLHeadingElement | undefined;
  let stream: MediaStream | undefined;
  let timer: number | undefined;
  let disposed = false;
  const frame = document.createElement("canvas");

  /** Moves focus once Solid has rendered what the last change shows. */
  const focusSoon = (get: () => HTMLElement | null | undefined) => queueMicrotask(() => get()?.focus());
  const problemBox = () => document.getElementById(PROBLEM_ID);

  async function lookup(code: string, via: Via) {
    setBusy("lookup");
    setProblem(undefined);
    setResult(undefined);
    setOutcomes({});
    setManualError(undefined);
    setStatus(r().looking);
    try {
      const found = await api.lookupRedemption(code);
      setResult(found);
      setStatus("");
      focusSoon(() => resultHeading);
    } catch (err) {
      setStatus("");
      setProblem({ error: err, where: via });
      // A typed number that was refused: back to the field (described by the alert); otherwise the alert.
      focusSoon(() => (via === "manual" ? manualInput : problemBox()));
    } finally {
      setBusy(undefined);
    }
  }

  async function redeem(b: Booking) {
    setBusy(b.id);
    setProblem(undefined);
    try {
      const done = await api.redeemBooking(b.id);
      setResult((prev) =>
        prev
          ? { ...prev, bookings: prev.bookings.map((x) => (x.id === b.id ? { ...x, ...done.booking } : x)) }
          : prev,
      );
      setOutcomes((o) => ({ ...o, [b.id]: done.alreadyRedeemed ? "already" : "redeemed" }));
      focusSoon(() => document.getElementById(`outcome-${b.id}`));
    } catch (err) {
      setProblem({ error: err, where: b.id });
      focusSoon(problemBox);
    } finally {
      setBusy(undefined);
    }
  }

  function submitManual(e: SubmitEvent) {
    e.preventDefault();
    const code = String(new FormData(e.currentTarget as HTMLFormElement).get("code") ?? "").trim();
    if (!code) {
      setProblem(undefined);
      setManualError(r().manual.required);
      manualInput?.focus();
      return;
    }
    void lookup(code, "manual");
  }

  async function readPhoto() {
    const file = photoInput.files?.[0];
    setPhotoError(undefined);
    if (!file) return;
    setStatus(r().photo.reading);
    let found: string | null = null;
    try {
      const [decode, bitmap] = await Promise.all([loadDecoder(), createImageBitmap(file)]);
      try {
        // Most photos decode small and fast; a large photo of a small code needs more pixels.
        for (const side of [1200, 2400]) {
          found = decodeImage(decode, bitmap, bitmap.width, bitmap.height, side, frame, true);
          if (found || Math.max(bitmap.width, bitmap.height) <= side) break;
        }
      } finally {
        bitmap.close();
      }
    } catch {
      setStatus("");
      setPhotoError(r().photo.unreadable);
      photoInput.focus();
      return;
    }
    photoInput.value = "";
    setStatus("");
    if (!found) {
      setPhotoError(r().photo.notFound);
      photoInput.focus();
      return;
    }
    await lookup(found, "photo");
  }

  function stopTracks() {
    if (timer !== undefined) window.clearTimeout(timer);
    timer = undefined;
    for (const track of stream?.getTracks() ?? []) track.stop();
    stream = undefined;
    if (video) video.srcObject = null;
  }

  function stopCamera(note?: string) {
    stopTracks();
    setCamera("off");
    setCameraNote(note ? { text: note, error: false } : undefined);
  }

  async function startCamera() {
    setCameraNote(undefined);
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
      setCameraNote({ text: r().camera.unsupported, error: true });
      return;
    }
    setCamera("starting");
    try {
      const [decode, media] = await Promise.all([
        loadDecoder(),
        navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: "environment" } },
          audio: false,
        }),
      ]);
      stream = media;
      if (disposed || camera() !== "starting") {
        stopTracks();
        return;
      }
      video.srcObject = media;
      await video.play().catch(() => undefined);
      setCamera("on");
      scan(decode);
    } catch (err) {
      stopTracks();
      setCamera("off");
      setCameraNote({ text: cameraProblem(err), error: true });
    }
  }

  /** Looks at a frame about five times a second until a QR code is found or the camera is stopped. */
  function scan(decode: Decoder) {
    if (camera() !== "on" || disposed) return;
    if (video.readyState >= video.HAVE_CURRENT_DATA && video.videoWidth > 0) {
      const code = decodeImage(decode, video, video.videoWidth, video.videoHeight, 800, frame, false);
      if (code) {
        stopCamera(r().camera.found);
        void lookup(code, "camera");
        return;
      }
    }
    timer = window.setTimeout(() => scan(decode), 200);
  }

  onCleanup(() => {
    disposed = true;
    stopTracks();
  });

  function readAnother() {
    setResult(undefined);
    setProblem(undefined);
    setOutcomes({});
    if (manualInput) manualInput.value = "";
    manualInput?.focus();
  }

  /** The refusal, where it happened: in the way the voucher was read, or in the booking being redeemed. */
  const problemAt = (where: string) => (
    <Show when={problem()?.where === where ? problem() : undefined}>
      {(p) => <ProblemBox error={p().error} lookingUp={isVia(where)} />}
    </Show>
  );

  return (
    <Page title={r().title}>
      <p>{r().intro}</p>
      <p role="status" class="status-slot result-count">
        {status()}
      </p>

      <Show when={result()}>
        {(found) => (
          <RedeemResult
            found={found()}
            outcomes={outcomes()}
            busy={busy()}
            onRedeem={redeem}
            problemAt={problemAt}
            onReadAnother={readAnother}
            headingRef={(el) => {
              resultHeading = el;
            }}
          />
        )}
      </Show>

      <section aria-labelledby="redeem-read" class="redeem-readers">
        <h2 id="redeem-read">{r().readTitle}</h2>

        <section class="panel" aria-labelledby="redeem-camera">
          <h3 id="redeem-camera">{r().camera.title}</h3>
          <p>{r().camera.intro}</p>
          <p class="actions">
            <Show
              when={camera() === "off"}
              fallback={
                <button
                  type="button"
                  class="button button-secondary"
                  onClick={() => stopCamera(r().camera.stopped)}
                >
                  {r().camera.stop}
                </button>
              }
            >
              <Button type="button" class="button" busy={busy() === "lookup"} onClick={startCamera}>
                {r().camera.start}
              </Button>
            </Show>
          </p>
          <p role="status" class="status-slot">
            {camera() === "starting" ? r().camera.starting : camera() === "on" ? r().camera.scanning : ""}
          </p>
          <Show when={cameraNote()}>
            {(note) => (
              <div
                class="alert"
                classList={{ "alert-error": note().error }}
                role={note().error ? "alert" : "status"}
                id="redeem-camera-note"
              >
                <p>{note().text}</p>
              </div>
            )}
          </Show>
          {problemAt("camera")}
          <video
            ref={video}
            class="redeem-video"
            hidden={camera() !== "on"}
            muted
            playsinline
            aria-label={r().camera.video}
          />
        </section>

        <section class="panel" aria-labelledby="redeem-photo">
          <h3 id="redeem-photo">{r().photo.title}</h3>
          {problemAt("photo")}
          <div class="field" classList={{ "field-invalid": !!photoError() }}>
            <label for="redeem-photo-file">{r().photo.label}</label>
            <p class="hint" id="redeem-photo-file-hint">
              {r().photo.hint}
            </p>
            <Show when={photoError()}>
              <p class="field-error" id="redeem-photo-file-error">
                {photoError()}
              </p>
            </Show>
            {/* The browser's own file control is hidden (visually only: it keeps the focus, Space opens the
                chooser); a styled label stands for it as a button, with the chosen file's name beside it. */}
            <div class="file-picker">
              <input
                ref={photoInput}
                id="redeem-photo-file"
                type="file"
                accept="image/*"
                class="file-picker-input visually-hidden"
                // Busy, it keeps the focus (like components/Button.tsx) and does not open the chooser.
                aria-disabled={busy() === "lookup" ? "true" : undefined}
                onClick={(e) => {
                  if (busy() === "lookup") e.preventDefault();
                }}
                aria-invalid={photoError() ? "true" : undefined}
                aria-describedby={
                  photoError()
                    ? "redeem-photo-file-name redeem-photo-file-hint redeem-photo-file-error"
                    : "redeem-photo-file-name redeem-photo-file-hint"
                }
                onChange={() => {
                  setFileName(photoInput.files?.[0]?.name ?? "");
                  void readPhoto();
                }}
              />
              <label for="redeem-photo-file" class="button button-secondary file-picker-button">
                {r().photo.choose}
              </label>
              <span class="file-picker-name" id="redeem-photo-file-name">
                {fileName() ? r().photo.chosen(fileName()) : r().photo.none}
              </span>
            </div>
          </div>
        </section>

        <section class="panel" aria-labelledby="redeem-manual">
          <h3 id="redeem-manual">{r().manual.title}</h3>
          {problemAt("manual")}
          <form onSubmit={submitManual} noValidate class="stack">
            <TextField
              id="redeem-code"
              name="code"
              label={r().manual.label}
              hint={r().manual.hint}
              error={manualError()}
              describedBy={problem()?.where === "manual" ? PROBLEM_ID : undefined}
              inputmode="numeric"
              autocomplete="off"
              spellcheck={false}
              maxLength={200}
              aria-required="true"
              ref={(el) => {
                manualInput = el;
              }}
            />
            <div class="form-actions">
              <Button type="submit" class="button" busy={busy() === "lookup"}>
                {busy() === "lookup" ? r().looking : r().manual.submit}
              </Button>
            </div>
          </form>
        </section>
      </section>
    </Page>
  );
}

/** What the hub found: the voucher, whom it belongs to and each due booking with its copay. */
function RedeemResult(props: {
  found: RedemptionLookup;
  outcomes: Record<string, "redeemed" | "already">;
  busy: string | undefined;
  onRedeem: (b: Booking) => void;
  problemAt: (where: string) => JSX.Element;
  onReadAnother: () => void;
  headingRef: (el: HTMLHeadingElement) => void;
}) {
  const r = () => t().redeem;
  const vt = () => t().vouchers;
  const v = () => props.found.voucher;
  const person = () => props.found.resident;
  const balances = () => SERVICE_TYPES.flatMap((type) => v().balances.filter((b) => b.serviceType === type));
  return (
    <div class="redeem-result">
      <section class="voucher" aria-labelledby="redeem-voucher">
        <h2 id="redeem-voucher" tabindex="-1" ref={props.headingRef}>
          {r().voucherTitle}
        </h2>
        <p class="voucher-label">{vt().number}</p>
        <p class="voucher-number" translate="no">
          {v().number}
        </p>
        <dl class="details voucher-facts">
          <div>
            <dt>{r().name}</dt>
            <dd>
              <span class="redeem-name">
                {person().familyName} {person().givenName}
              </span>
              <Show when={person().kana}>
                <span class="meta"> （{person().kana}）</span>
              </Show>
            </dd>
          </div>
          <div>
            <dt>{r().municipality}</dt>
            <dd>{v().municipalityName}</dd>
          </div>
          <div>
            <dt>{vt().validity}</dt>
            <dd>{vt().validRange(formatDate(v().validFrom), formatDate(v().validUntil))}</dd>
          </div>
          <div>
            <dt>{vt().status}</dt>
            <dd>
              <span class="voucher-status" classList={{ "status-active": v().status === "active" }}>
                {vt().statuses[v().status] ?? v().status}
              </span>
            </dd>
          </div>
        </dl>
        <Show when={balances().length > 0}>
          <p class="voucher-label" id="redeem-balances">
            {vt().balances}
          </p>
          <ul class="balances" aria-labelledby="redeem-balances">
            <For each={balances()}>
              {(b) => (
                <li>
                  <span class="balance-type">{label("serviceTypes", b.serviceType)}</span>
                  <span class="balance-left">
                    {vt().remaining(b.remaining, b.cap, b.serviceType === "stay" ? v().stayCounting : null)}
                  </span>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </section>

      <section aria-labelledby="redeem-bookings">
        <h2 id="redeem-bookings">{r().bookingsTitle}</h2>
        <Show when={props.found.bookings.length > 0} fallback={<p>{r().noBookings}</p>}>
          <For each={props.found.bookings}>
            {(b) => (
              <DueBooking
                booking={b}
                outcome={props.outcomes[b.id]}
                busy={props.busy}
                onRedeem={() => props.onRedeem(b)}
                problem={props.problemAt(b.id)}
              />
            )}
          </For>
        </Show>
        <p class="actions">
          <button type="button" class="button button-secondary" onClick={props.onReadAnother}>
            {r().readAnother}
          </button>
        </p>
      </section>
    </div>
  );
}

function DueBooking(props: {
  booking: Booking;
  outcome: "redeemed" | "already" | undefined;
  busy: string | undefined;
  onRedeem: () => void;
  problem: JSX.Element;
}) {
  const r = () => t().redeem;
  const b = () => props.booking;
  const headingId = () => `due-${b().id}`;
  const service = () => label("serviceTypes", b().serviceType);
  const copay = () => formatYen(b().residentCopay ?? 0);
  const usedBefore = () => props.outcome === "already" || (!props.outcome && b().status === "used");
  return (
    <article class="redeem-booking" aria-labelledby={headingId()} data-booking-id={b().id}>
      <h3 id={headingId()}>{r().bookingHeading(service(), bookingDates(b()))}</h3>
      <p class="copay">
        <span class="copay-label">{r().copay}</span>{" "}
        <strong class="copay-amount" translate="no">
          {copay()}
        </strong>
        <span class="copay-note">{r().copayNote}</span>
      </p>
      <dl class="details">
        <div>
          <dt>{t().bookings.status}</dt>
          <dd>{t().bookings.statuses[b().status] ?? b().status}</dd>
        </div>
        <Show when={b().units !== undefined}>
          <div>
            <dt>{r().units}</dt>
            <dd>{t().book.units(b().units ?? 0, b().stayCounting)}</dd>
          </div>
        </Show>
        <Show when={b().municipalityShare !== undefined}>
          <div>
            <dt>{r().municipalityShare}</dt>
            <dd>{formatYen(b().municipalityShare)}</dd>
          </div>
        </Show>
        <Show when={b().policyVersion}>
          {(p) => (
            <div>
              <dt>{r().policyVersion}</dt>
              <dd>{r().policy(p().version, formatDate(p().effectiveFrom))}</dd>
            </div>
          )}
        </Show>
        <Show when={(b().lines?.length ?? 0) > 1}>
          <div>
            <dt>{r().lines}</dt>
            <dd>
              <ul class="plain-list">
                <For each={b().lines}>
                  {(l) => <li>{r().line(l.label, l.quantity, signedYen(l.residentCopay))}</li>}
                </For>
              </ul>
            </dd>
          </div>
        </Show>
      </dl>
      <div id={`outcome-${b().id}`} tabindex="-1" class="redeem-outcome">
        <Show when={props.outcome === "redeemed"}>
          <div class="alert alert-success" role="status">
            <p class="alert-title">{r().redeemed(copay())}</p>
          </div>
        </Show>
        <Show when={usedBefore()}>
          <div class="alert alert-success" role="status">
            <p class="alert-title">{r().alreadyRedeemed}</p>
          </div>
        </Show>
      </div>
      {props.problem}
      <Show when={b().status === "confirmed" && !props.outcome}>
        <p class="actions">
          <Button
            type="button"
            class="button"
            busy={props.busy !== undefined}
            aria-describedby={headingId()}
            onClick={() => props.onRedeem()}
          >
            {props.busy === b().id ? r().marking : r().markUsed}
          </Button>
        </p>
      </Show>
    </article>
  );
}
