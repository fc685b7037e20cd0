/**
 * Invoices (請求書) of billing runs: an Excel workbook (cover sheet 請求書 + detail sheet 請求明細) and a Word cover
 * letter/invoice per run, all runs of a month as one zip, a statement per facility of what the association owes
 * it (支払明細書, xlsx), and the month's totals as CSV (UTF-8 with BOM or Shift_JIS).
 * Dates on the forms are in 和暦 (令和8年11月26日). Every total is the sum of the run's stored lines, so an
 * invoice always equals the ledger to the yen.
 */
import {
  AlignmentType,
  BorderStyle,
  Document,
  Footer,
  Header,
  Packer,
  PageNumber,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from "docx";
import ExcelJS from "exceljs";
import iconv from "iconv-lite";
import JSZip from "jszip";
import { csvLine } from "../bookings/export.js";
import type { PrismaClient } from "../db/client.js";
import { problems } from "../errors.js";
import { formatDate, tokyoToday } from "../inventory/dates.js";
import { SERVICE_LABEL } from "../policies/policy.js";
import type { Month } from "../usage/monthly.js";
import { sumLines } from "./engine.js";
import { DOCX_TYPE, XLSX_TYPE } from "./mime.js";
import type { FacilityListTotals, LineDto, RunDetail } from "./runs.js";
import { listRuns, runDocument } from "./runs.js";
import { type InvoiceContext, paymentDueDate } from "./settings.js";

const FONT = "ＭＳ 明朝";
const YEN = '"¥"#,##0;[Red]-"¥"#,##0';
const NUM = "#,##0;[Red]-#,##0";

/** A date in 和暦, e.g. 令和8年11月26日 (Asia/Tokyo). */
export function warekiDate(date: Date): string {
  return new Intl.DateTimeFormat("ja-JP-u-ca-japanese", {
    era: "long",
    year: "numeric",
    month: "long",
    day: "numeric",
    timeZone: "Asia/Tokyo",
  }).format(date);
}

/** "2026-11" → 令和8年11月 */
export function warekiMonth(month: string): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return new Intl.DateTimeFormat("ja-JP-u-ca-japanese", {
    era: "long",
    year: "numeric",
    month: "long",
    timeZone: "UTC",
  }).format(new Date(Date.UTC(y, m - 1, 15)));
}

/** "2026-11-03" → 令和8年11月3日; null → "". */
const warekiDay = (d: string | null) => (d ? warekiDate(new Date(`${d}T03:00:00Z`)) : "");

export const yen = (n: number) => `${n < 0 ? "-" : ""}¥${Math.abs(n).toLocaleString("ja-JP")}`;

const KIND: Record<string, string> = { use: "利用", cancellation_fee: "キャンセル料", adjustment: "調整" };

export const serviceLabel = (s: string | null) =>
  s ? ((SERVICE_LABEL as Record<string, string>)[s] ?? s) : "";
export const kindLabel = (k: string) => KIND[k] ?? k;

/** The mark on every page of a draft's documents (and never on a finalized run's). */
export const DRAFT_MARK = "見本（未確定）";
const isDraft = (run: Pick<RunDetail, "status">) => run.status !== "finalized";
const STATUS_JA: Record<string, string> = { draft: "下書き", reviewed: "確認済", finalized: "確定" };

/** The run's invoice number, or a marker that it is not final yet. */
const numberOf = (run: RunDetail) =>
  run.invoiceNumber ?? `${DRAFT_MARK}（${STATUS_JA[run.status] ?? run.status}）`;

const addressee = (run: RunDetail) => `${run.municipalityName}長 様`;
const subject = (run: RunDetail) => `${warekiMonth(run.month)}分 産後ケア事業委託料`;

export type InvoiceFile = { body: Buffer; fileName: string; contentType: string };

export { DOCX_TYPE, XLSX_TYPE };

const fileBase = (run: RunDetail) =>
  `invoice-${run.associationId}-${run.month}-${run.municipalityCode}${run.status === "finalized" ? "" : "-draft"}`;

/** The detail sheet's columns; the money columns add up on every row: I − J + K − L = M. */
const DETAIL_HEADERS = [
  "No.",
  "区分",
  "施設名",
  "利用者",
  "サービス種別",
  "利用開始日",
  "利用終了日",
  "回数",
  "委託料",
  "利用者負担額",
  "キャンセル料",
  "キャンセル料のうち利用者負担",
  "請求額",
  "訂正前請求額",
  "訂正後請求額",
  "備考",
] as const;

/** How the columns add up, printed above the detail and on the cover. */
export const FORMULA_TEXT = "請求額 ＝ 委託料 − 利用者負担額 ＋ キャンセル料 − キャンセル料のうち利用者負担";

/**
 * The 請求日 of a run's documents: a finalized run's own (its finalization date unless the association chose
 * another), a draft's today (Asia/Tokyo). Noon in Tokyo, so the 和暦 date never depends on the time zone.
 */
export function issuedOn(run: Pick<RunDetail, "issueDate">, now: Date): Date {
  const day = run.issueDate ?? formatDate(tokyoToday(now));
  return new Date(`${day}T03:00:00Z`);
}

/**
 * An OOXML package (xlsx, docx are zips) rewritten so that its bytes depend only on its content and `date`: the
 * writers stamp the clock into docProps/core.xml and into every zip entry, so the same invoice made twice would
 * differ. Entries keep their order; the document's created/modified become `date`.
 */
export async function fixedPackage(body: Buffer, date: Date): Promise<Buffer> {
  const src = await JSZip.loadAsync(body);
  const out = new JSZip();
  const stamp = date.toISOString().replace(/\.\d{3}Z$/, "Z");
  for (const [name, entry] of Object.entries(src.files)) {
    if (entry.dir) continue;
    let data: Buffer | string = await entry.async("nodebuffer");
    if (name === "docProps/core.xml") {
      data = data
        .toString("utf8")
        .replace(/(<dcterms:(created|modified)[^>]*>)[^<]*(<\/dcterms:\2>)/g, `$1${stamp}$3`);
    }
    out.file(name, data, { date, createFolders: false });
  }
  return out.generateAsync({ type: "nodebuffer", compression: "DEFLATE", compressionOptions: { level: 6 } });
}

/** Both files of a run (xlsx and docx), dated its 請求日. */
export async function runDocuments(
  run: RunDetail,
  ctx: InvoiceContext,
  now: Date = new Date(0),
): Promise<{ xlsx: InvoiceFile; docx: InvoiceFile }> {
  const date = issuedOn(run, now);
  const [xlsx, docx] = await Promise.all([invoiceXlsx(run, ctx, date), invoiceDocx(run, ctx, date)]);
  return { xlsx, docx };
}

/** The invoice workbook: cover 請求書 and detail 請求明細, whose total equals the run's total. */
export async function invoiceXlsx(run: RunDetail, ctx: InvoiceContext, issuedOn: Date): Promise<InvoiceFile> {
  const wb = new ExcelJS.Workbook();
  wb.creator = run.associationName;
  wb.created = issuedOn;
  wb.modified = issuedOn;
  cover(wb, run, ctx, issuedOn);
  detail(wb, run);
  const body = await fixedPackage(Buffer.from(await wb.xlsx.writeBuffer()), issuedOn);
  return { body, fileName: `${fileBase(run)}.xlsx`, contentType: XLSX_TYPE };
}

/**
 * The printed header and footer of a sheet: a draft's 見本（未確定） mark on every page (header), the invoice
 * number and page n/m (footer).
 */
function headerFooter(run: RunDetail): Partial<ExcelJS.HeaderFooter> {
  const footer = `&L${run.invoiceNumber ?? ""}&R&P / &N`;
  if (!isDraft(run)) return { oddFooter: footer };
  return { oddHeader: `&C&"ＭＳ 明朝,太字"&16${DRAFT_MARK}`, oddFooter: footer };
}

/** The statement that the invoice bears no consumption tax, and why it needs no 登録番号. */
export const TAX_NOTE =
  "消費税等：非課税（産後ケア事業は母子保健法第17条の2に基づく事業であり、消費税法施行令第14条の3第7号により非課税です。このため適格請求書発行事業者の登録番号は記載していません。）";

/** The issuer's lines, top right of the cover: address, association, 会長 and name, who answers for it. */
export function issuerLines(run: Pick<RunDetail, "associationName">, ctx: InvoiceContext): string[] {
  const i = ctx.issuer;
  const unset = "（未設定）";
  return [
    `〒${i.postalCode || unset}　${i.address || unset}`,
    run.associationName,
    `${i.presidentTitle || unset}　${i.presidentName || unset}`,
    `発行責任者：${i.responsibleName || unset}`,
    `担当者：${i.contactName || unset}　電話：${i.phone || unset}`,
    ctx.setting.sealRequired ? "" : "（押印省略）",
  ];
}

/** Where and by when to pay: 支払期限, 振込先 (bank, branch, type, number, holder in kana), 債権者コード. */
export function paymentLines(run: Pick<RunDetail, "issueDate">, ctx: InvoiceContext, issued: Date) {
  const i = ctx.issuer;
  const unset = "（未設定）";
  const due = paymentDueDate(run.issueDate ?? formatDate(tokyoToday(issued)), ctx.setting);
  return [
    ["支払期限", warekiDay(due)],
    [
      "振込先",
      `${i.bankName || unset}　${i.branchName || unset}　${i.accountType}　${i.accountNumber || unset}`,
    ],
    ["口座名義（カナ）", i.accountHolderKana || unset],
    ...(ctx.creditorCode ? [["債権者コード", ctx.creditorCode]] : []),
  ] as [string, string][];
}

function cover(wb: ExcelJS.Workbook, run: RunDetail, ctx: InvoiceContext, issuedOn: Date) {
  const ws = wb.addWorksheet("請求書", {
    pageSetup: { paperSize: 9, orientation: "portrait", fitToPage: true, fitToWidth: 1, fitToHeight: 1 },
    views: [{ showGridLines: false }],
    headerFooter: headerFooter(run),
  });
  ws.columns = [4, 30, 16, 16, 44, 6].map((width) => ({ width }));
  const font = (size = 11, bold = false) => ({ name: FONT, size, bold });
  if (isDraft(run)) {
    ws.getCell("B2").value = DRAFT_MARK;
    ws.getCell("B2").font = font(16, true);
  }
  ws.getCell("E2").value = `請求番号　${numberOf(run)}`;
  ws.getCell("E2").alignment = { horizontal: "right" };
  ws.getCell("E3").value = warekiDate(issuedOn);
  ws.getCell("E3").alignment = { horizontal: "right" };
  ws.mergeCells("B5:E5");
  const title = ws.getCell("B5");
  title.value = "請　求　書";
  title.font = font(20, true);
  title.alignment = { horizontal: "center" };
  ws.getCell("B7").value = addressee(run);
  ws.getCell("B7").font = font(14, true);
  issuerLines(run, ctx).forEach((text, i) => {
    const c = ws.getCell(`E${7 + i}`);
    c.value = text;
    c.alignment = { horizontal: "right", shrinkToFit: true };
    if (i === 1) c.font = font(12, true);
  });
  if (ctx.setting.sealRequired) {
    // The municipality still wants a seal: a box beside the president's name.
    const seal = ws.getCell("F9");
    seal.value = "印";
    seal.alignment = { horizontal: "center", vertical: "middle" };
    seal.border = {
      top: { style: "thin" },
      left: { style: "thin" },
      bottom: { style: "thin" },
      right: { style: "thin" },
    };
  }
  ws.getCell("B12").value = `${subject(run)}について、下記のとおり請求いたします。`;
  ws.getCell("B14").value = "請求金額";
  ws.getCell("B14").font = font(14, true);
  ws.mergeCells("C14:E14");
  const total = ws.getCell("C14");
  total.value = run.totals.amount;
  total.numFmt = YEN;
  total.font = font(16, true);
  total.alignment = { horizontal: "center" };
  total.border = { bottom: { style: "double" } };
  const rows: [string, string | number, boolean?][] = [
    ["件名", subject(run)],
    ["対象月", warekiMonth(run.month)],
    ["件数", `${run.totals.lines}件`],
    ["利用回数", `${run.totals.units}回`],
    ["委託料合計 (A)", run.totals.fee, true],
    ["利用者負担額合計 (B)", run.totals.residentCopay, true],
    ["キャンセル料合計 (C)", run.totals.cancellationFee, true],
    ["キャンセル料のうち利用者負担 (D)", run.totals.cancellationCopay, true],
    ["請求額 (A − B ＋ C − D)", run.totals.amount, true],
    ...kindSubtotals(run).map((k): [string, number, boolean] => [
      `　うち${k.label}（${k.lines}件）`,
      k.amount,
      true,
    ]),
    ...paymentLines(run, ctx, issuedOn),
  ];
  rows.forEach(([label, value, money], i) => {
    const r = 16 + i;
    ws.getCell(`B${r}`).value = label;
    ws.mergeCells(`C${r}:E${r}`);
    const v = ws.getCell(`C${r}`);
    v.value = value;
    if (money) {
      v.numFmt = YEN;
      v.alignment = { horizontal: "right" };
    }
    for (const c of ["B", "C", "D", "E"]) {
      ws.getCell(`${c}${r}`).border = { top: { style: "thin" }, bottom: { style: "thin" } };
    }
  });
  const after = 16 + rows.length + 1;
  ws.getCell(`B${after}`).value = "内訳は「請求明細」のとおり。";
  ws.getCell(`B${after + 1}`).value = FORMULA_TEXT;
  ws.mergeCells(`B${after + 2}:E${after + 3}`);
  const tax = ws.getCell(`B${after + 2}`);
  tax.value = TAX_NOTE;
  tax.alignment = { wrapText: true, vertical: "top" };
  ws.getRow(after + 2).height = 30;
  ws.eachRow((row) => {
    row.eachCell((cell) => {
      cell.font = { ...font(), ...(cell.font ?? {}), name: FONT };
    });
  });
}

function detail(wb: ExcelJS.Workbook, run: RunDetail) {
  const ws = wb.addWorksheet("請求明細", {
    pageSetup: {
      paperSize: 9,
      orientation: "landscape",
      fitToPage: true,
      fitToWidth: 1,
      fitToHeight: 0,
      // The header row is printed again at the top of every page.
      printTitlesRow: "3:3",
    },
    views: [{ state: "frozen", ySplit: 3 }],
    headerFooter: headerFooter(run),
  });
  ws.columns = [5, 9, 24, 15, 13, 15, 15, 5, 10, 10, 10, 12, 11, 11, 11, 30].map((width) => ({ width }));
  ws.getCell("A1").value = `請求明細　${run.municipalityName}　${warekiMonth(run.month)}分　${numberOf(run)}`;
  ws.getCell("A1").font = { name: FONT, size: 12, bold: true };
  ws.getCell("A2").value = FORMULA_TEXT;
  ws.getCell("A2").font = { name: FONT, size: 9 };
  const header = ws.getRow(3);
  header.values = [...DETAIL_HEADERS];
  header.font = { name: FONT, bold: true };
  header.alignment = { vertical: "middle", wrapText: true };
  header.eachCell((c) => {
    c.fill = { type: "pattern", pattern: "solid", fgColor: { argb: "FFE8EEF7" } };
    c.border = { bottom: { style: "thin" } };
  });
  run.lines.forEach((l, i) => {
    const row = ws.addRow(detailCells(l, i + 1));
    row.font = { name: FONT };
    row.alignment = { vertical: "top" };
    // Long notes wrap inside their column (and so inside the printed page) instead of running past it.
    row.getCell(DETAIL_HEADERS.length).alignment = { vertical: "top", wrapText: true };
  });
  const first = 4;
  const last = 3 + run.lines.length;
  const money = ["H", "I", "J", "K", "L", "M"] as const;
  const totalOf = {
    H: "units",
    I: "fee",
    J: "residentCopay",
    K: "cancellationFee",
    L: "cancellationCopay",
    M: "amount",
  } as const;
  // A formula with its result cached for readers that do not compute; exceljs drops a cached 0, so 0 is a value.
  const sum = (col: (typeof money)[number], total: number) =>
    total !== 0 ? { formula: `SUM(${col}${first}:${col}${last})`, result: total } : 0;
  const blank = (n: number) => Array.from({ length: n }, () => "");
  const totalRow = ws.addRow([
    "",
    "合計",
    `${run.totals.lines}件`,
    ...blank(4),
    ...money.map((c) => sum(c, run.totals[totalOf[c]])),
    ...blank(3),
  ]);
  totalRow.font = { name: FONT, bold: true };
  totalRow.eachCell((c) => {
    c.border = { top: { style: "thin" }, bottom: { style: "double" } };
  });
  // Subtotals per kind (利用, キャンセル料, 調整): each adds up the same way.
  for (const k of kindSubtotals(run)) {
    const sumIf = (col: (typeof money)[number], total: number) =>
      total !== 0
        ? { formula: `SUMIF(B${first}:B${last},"${k.label}",${col}${first}:${col}${last})`, result: total }
        : 0;
    const row = ws.addRow([
      "",
      `${k.label}小計`,
      `${k.lines}件`,
      ...blank(4),
      ...money.map((c) => sumIf(c, k[totalOf[c]])),
      ...blank(3),
    ]);
    row.font = { name: FONT };
  }
  for (const col of [...money, "N", "O"]) ws.getColumn(col).numFmt = NUM;
  ws.autoFilter = { from: "A3", to: `P${Math.max(last, 3)}` };
}

/** The totals of each kind of line present (利用, キャンセル料, 調整), in that order. */
export function kindSubtotals(run: Pick<RunDetail, "lines">) {
  return (["use", "cancellation_fee", "adjustment"] as const)
    .map((kind) => ({ kind, label: kindLabel(kind), ...sumLines(run.lines.filter((l) => l.kind === kind)) }))
    .filter((k) => k.lines > 0);
}

/** An adjustment names the invoice and line it corrects, as 介護 claims do. */
export const noteOf = (l: Pick<LineDto, "note" | "adjusts">) =>
  l.adjusts ? `${l.adjusts.invoiceNumber} No.${l.adjusts.lineNo} の訂正　${l.note}` : l.note;

function detailCells(l: LineDto, no: number) {
  return [
    no,
    kindLabel(l.kind),
    l.facilityName,
    l.residentRef,
    serviceLabel(l.serviceType),
    warekiDay(l.startDate),
    warekiDay(l.endDate),
    l.units,
    l.fee,
    l.residentCopay,
    l.cancellationFee,
    l.cancellationCopay,
    l.amount,
    l.amountBefore ?? "",
    l.amountAfter ?? "",
    noteOf(l),
  ];
}

const cellBorder = { style: BorderStyle.SINGLE, size: 4, color: "999999" };
const borders = { top: cellBorder, bottom: cellBorder, left: cellBorder, right: cellBorder };

function row(label: string, value: string, bold = false): TableRow {
  return new TableRow({
    children: [
      new TableCell({
        width: { size: 35, type: WidthType.PERCENTAGE },
        borders,
        children: [new Paragraph({ children: [new TextRun({ text: label, font: FONT })] })],
      }),
      new TableCell({
        width: { size: 65, type: WidthType.PERCENTAGE },
        borders,
        children: [
          new Paragraph({
            alignment: AlignmentType.RIGHT,
            children: [new TextRun({ text: value, font: FONT, bold })],
          }),
        ],
      }),
    ],
  });
}

/** The Word cover letter/invoice (請求書) of a run. */
export async function invoiceDocx(run: RunDetail, ctx: InvoiceContext, issuedOn: Date): Promise<InvoiceFile> {
  const p = (
    text: string,
    opts: { align?: "left" | "right" | "center"; size?: number; bold?: boolean } = {},
  ) =>
    new Paragraph({
      alignment:
        opts.align === "right"
          ? AlignmentType.RIGHT
          : opts.align === "center"
            ? AlignmentType.CENTER
            : AlignmentType.LEFT,
      spacing: { after: 120 },
      children: [new TextRun({ text, font: FONT, size: (opts.size ?? 11) * 2, bold: opts.bold })],
    });
  const doc = new Document({
    creator: run.associationName,
    title: `請求書 ${numberOf(run)}`,
    styles: { default: { document: { run: { font: FONT } } } },
    sections: [
      {
        headers: isDraft(run)
          ? { default: new Header({ children: [p(DRAFT_MARK, { align: "center", size: 16, bold: true })] }) }
          : undefined,
        footers: {
          default: new Footer({
            children: [
              new Paragraph({
                alignment: AlignmentType.CENTER,
                children: [
                  new TextRun({
                    font: FONT,
                    children: [PageNumber.CURRENT, " / ", PageNumber.TOTAL_PAGES],
                  }),
                ],
              }),
            ],
          }),
        },
        children: [
          p(`請求番号　${numberOf(run)}`, { align: "right" }),
          p(warekiDate(issuedOn), { align: "right" }),
          p(addressee(run), { size: 14, bold: true }),
          ...issuerLines(run, ctx).map((text, i) =>
            p(text, { align: "right", size: i === 1 ? 12 : 11, bold: i === 1 }),
          ),
          ...(ctx.setting.sealRequired ? [p("印　　　　", { align: "right" })] : []),
          p("請　求　書", { align: "center", size: 20, bold: true }),
          p(`${subject(run)}について、下記のとおり請求いたします。`),
          p(`請求金額　${yen(run.totals.amount)}`, { align: "center", size: 16, bold: true }),
          p("記", { align: "center" }),
          new Table({
            width: { size: 100, type: WidthType.PERCENTAGE },
            rows: [
              row("対象月", warekiMonth(run.month)),
              row("件数", `${run.totals.lines}件`),
              row("利用回数", `${run.totals.units}回`),
              row("委託料合計 (A)", yen(run.totals.fee)),
              row("利用者負担額合計 (B)", yen(run.totals.residentCopay)),
              row("キャンセル料合計 (C)", yen(run.totals.cancellationFee)),
              row("キャンセル料のうち利用者負担 (D)", yen(run.totals.cancellationCopay)),
              row("請求額 (A − B ＋ C − D)", yen(run.totals.amount), true),
              ...kindSubtotals(run).map((k) => row(`　うち${k.label}（${k.lines}件）`, yen(k.amount))),
              ...paymentLines(run, ctx, issuedOn).map(([label, value]) => row(label, value)),
            ],
          }),
          p(""),
          p("内訳は別添の請求明細（Excel）のとおりです。"),
          p(FORMULA_TEXT, { size: 9 }),
          p(TAX_NOTE, { size: 9 }),
          p("以上", { align: "right" }),
        ],
      },
    ],
  });
  const body = await fixedPackage(Buffer.from(await Packer.toBuffer(doc)), issuedOn);
  return { body, fileName: `${fileBase(run)}.docx`, contentType: DOCX_TYPE };
}

/**
 * Every run of an association's month: each run's xlsx and docx in one zip. A finalized run's files are its
 * stored ones; each entry is dated the run's 請求日 (a draft's: today), so a month of finalized runs downloads as
 * the same bytes every time.
 */
export async function invoicesZip(
  prisma: PrismaClient,
  associationId: string,
  month: Month,
  now: Date,
): Promise<InvoiceFile & { runs: number }> {
  const list = await listRuns(prisma, { associationId, month });
  if (!list.items.some((r) => !r.nothingToBill)) throw problems.notFound("invoice of that month");
  const zip = new JSZip();
  for (const item of list.items) {
    if (item.nothingToBill) continue;
    for (const kind of ["xlsx", "docx"] as const) {
      const f = await runDocument(prisma, item.id, kind, now);
      zip.file(f.fileName, f.body, { date: issuedOn(f.run, now), createFolders: false });
    }
  }
  const body = await zip.generateAsync({ type: "nodebuffer", compression: "DEFLATE" });
  return {
    body,
    runs: list.items.length,
    fileName: `invoices-${associationId}-${month.text}.zip`,
    contentType: "application/zip",
  };
}

/** What the association owes one facility for the month: its lines of every run of the month (xlsx). */
export async function facilityStatementXlsx(
  prisma: PrismaClient,
  associationId: string,
  facilityId: string,
  month: Month,
  now: Date,
): Promise<InvoiceFile & { lines: number; total: number }> {
  const facility = await prisma.facility.findUnique({
    where: { id: facilityId },
    select: { name: true, associationId: true, association: { select: { name: true } } },
  });
  if (!facility || facility.associationId !== associationId) throw problems.notFound("facility");
  const runs = await prisma.billingRun.findMany({
    where: { associationId, month: month.text },
    select: { id: true, municipalityCode: true, status: true, invoiceNumber: true, total: true },
    orderBy: { municipalityCode: "asc" },
  });
  const names = new Map(
    (
      await prisma.municipality.findMany({
        where: { code: { in: runs.map((r) => r.municipalityCode) } },
        select: { code: true, name: true },
      })
    ).map((m) => [m.code, m.name]),
  );
  const runOf = new Map(runs.map((r) => [r.id, r]));
  const lines = await prisma.billingLine.findMany({
    where: { runId: { in: runs.map((r) => r.id) }, facilityId },
    orderBy: [{ startDate: "asc" }, { id: "asc" }],
  });
  const wb = new ExcelJS.Workbook();
  wb.creator = facility.association.name;
  const ws = wb.addWorksheet("支払明細書", {
    pageSetup: { paperSize: 9, orientation: "landscape", fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
  });
  ws.columns = [5, 12, 11, 18, 15, 17, 6, 11, 12, 11, 12, 12, 20].map((width) => ({ width }));
  ws.getCell("A1").value = `支払明細書　${warekiMonth(month.text)}分`;
  ws.getCell("A1").font = { name: FONT, size: 14, bold: true };
  ws.getCell("A2").value = `${facility.name} 様`;
  ws.getCell("A3").value = `${facility.association.name}　${warekiDate(now)}`;
  ws.getCell("A4").value = FORMULA_TEXT.replace("請求額", "支払額");
  const header = ws.getRow(5);
  header.values = [
    "No.",
    "市町村",
    "区分",
    "利用者",
    "サービス種別",
    "利用開始日",
    "回数",
    "委託料",
    "利用者負担額",
    "キャンセル料",
    "キャンセル料のうち利用者負担",
    "支払額",
    "請求番号",
  ];
  header.font = { name: FONT, bold: true };
  header.alignment = { wrapText: true, vertical: "middle" };
  const totals = sumLines(lines);
  lines.forEach((l, i) => {
    const run = runOf.get(l.runId);
    ws.addRow([
      i + 1,
      names.get(run?.municipalityCode ?? "") ?? run?.municipalityCode ?? "",
      kindLabel(l.kind),
      l.residentRef,
      serviceLabel(l.serviceType),
      l.startDate ? warekiDay(l.startDate.toISOString().slice(0, 10)) : "",
      l.units,
      l.fee,
      l.residentCopay,
      l.cancellationFee,
      l.cancellationCopay,
      l.amount,
      run?.invoiceNumber ??
        (run?.total === 0 ? "請求なし" : `（未確定・${STATUS_JA[run?.status ?? ""] ?? ""}）`),
    ]).font = { name: FONT };
  });
  const total = totals.amount;
  const totalRow = ws.addRow([
    "",
    "合計",
    `${lines.length}件`,
    "",
    "",
    "",
    totals.units,
    totals.fee,
    totals.residentCopay,
    totals.cancellationFee,
    totals.cancellationCopay,
    total,
    "",
  ]);
  totalRow.font = { name: FONT, bold: true };
  for (const col of ["H", "I", "J", "K", "L"]) ws.getColumn(col).numFmt = NUM;
  const body = Buffer.from(await wb.xlsx.writeBuffer());
  return {
    body,
    lines: lines.length,
    total,
    fileName: `statement-${facilityId}-${month.text}.xlsx`,
    contentType: XLSX_TYPE,
  };
}

export const TOTALS_CSV_HEADER = [
  "区分",
  "代表機関",
  "市町村コード",
  "市町村・施設",
  "状態",
  "請求番号",
  "件数",
  "回数",
  "委託料",
  "利用者負担額",
  "キャンセル料",
  "キャンセル料のうち利用者負担",
  "請求額",
];

/**
 * The month's totals as CSV: one row per run (municipality), then one per facility. UTF-8 with a BOM, or
 * Shift_JIS for older Excel.
 */
export function totalsCsv(
  list: { month: string; items: RunDetailLike[]; byFacility: FacilityListTotals[] },
  encoding: "utf-8" | "sjis",
): InvoiceFile {
  const parts = [csvLine(TOTALS_CSV_HEADER)];
  for (const r of list.items) {
    parts.push(
      csvLine([
        "市町村",
        r.associationId,
        r.municipalityCode,
        r.municipalityName,
        r.status,
        r.invoiceNumber ?? "",
        r.lineCount,
        r.units,
        r.fee,
        r.residentCopay,
        r.cancellationFee,
        r.cancellationCopay,
        r.total,
      ]),
    );
  }
  for (const f of list.byFacility) {
    parts.push(
      csvLine([
        "施設",
        "",
        "",
        f.facilityName,
        "",
        "",
        f.lines,
        f.units,
        f.fee,
        f.residentCopay,
        f.cancellationFee,
        f.cancellationCopay,
        f.amount,
      ]),
    );
  }
  const text = parts.join("");
  const body =
    encoding === "sjis"
      ? iconv.encode(text, "Shift_JIS")
      : Buffer.concat([Buffer.from("\uFEFF"), Buffer.from(text)]);
  return {
    body,
    fileName: `billing-${list.month}${encoding === "sjis" ? "-sjis" : ""}.csv`,
    contentType: encoding === "sjis" ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8",
  };
}

/**
 * The columns of a finalized run's line CSV (for a 財務会計 system's import): one row per line, dates as
 * YYYY-MM-DD, amounts as integers (yen). Documented in schemas/openapi.yaml (exportBillingLinesCsv).
 */
export const LINES_CSV_HEADER = [
  "請求番号",
  "請求日",
  "支払期限",
  "代表機関",
  "債権者コード",
  "市町村コード",
  "市町村",
  "対象月",
  "行番号",
  "区分",
  "施設名",
  "利用者",
  "サービス種別",
  "利用開始日",
  "利用終了日",
  "回数",
  "委託料",
  "利用者負担額",
  "キャンセル料",
  "キャンセル料のうち利用者負担",
  "請求額",
  "訂正前請求額",
  "訂正後請求額",
  "訂正対象の請求番号",
  "訂正対象の行番号",
  "備考",
] as const;

/** A finalized run's lines as CSV: UTF-8 with a BOM, or Shift_JIS. */
export function linesCsv(run: RunDetail, ctx: InvoiceContext, encoding: "utf-8" | "sjis"): InvoiceFile {
  const issueDate = run.issueDate ?? "";
  const due = issueDate ? paymentDueDate(issueDate, ctx.setting) : "";
  const parts = [csvLine([...LINES_CSV_HEADER])];
  for (const l of run.lines) {
    parts.push(
      csvLine([
        run.invoiceNumber ?? "",
        issueDate,
        due,
        run.associationName,
        ctx.creditorCode ?? "",
        run.municipalityCode,
        run.municipalityName,
        run.month,
        l.lineNo,
        kindLabel(l.kind),
        l.facilityName,
        l.residentRef,
        serviceLabel(l.serviceType),
        l.startDate ?? "",
        l.endDate ?? "",
        l.units,
        l.fee,
        l.residentCopay,
        l.cancellationFee,
        l.cancellationCopay,
        l.amount,
        l.amountBefore ?? "",
        l.amountAfter ?? "",
        l.adjusts?.invoiceNumber ?? "",
        l.adjusts?.lineNo ?? "",
        l.note,
      ]),
    );
  }
  const text = parts.join("");
  const body =
    encoding === "sjis"
      ? iconv.encode(text, "Shift_JIS")
      : Buffer.concat([Buffer.from("\uFEFF"), Buffer.from(text)]);
  return {
    body,
    fileName: `lines-${run.invoiceNumber ?? run.id}${encoding === "sjis" ? "-sjis" : ""}.csv`.replace(
      /[^\x20-\x7e]/g,
      (c) => (c === "医" ? "medical" : c === "助" ? "midwife" : "_"),
    ),
    contentType: encoding === "sjis" ? "text/csv; charset=Shift_JIS" : "text/csv; charset=utf-8",
  };
}

export type RunDetailLike = {
  associationId: string;
  municipalityCode: string;
  municipalityName: string;
  status: string;
  invoiceNumber: string | null;
  lineCount: number;
  units: number;
  fee: number;
  residentCopay: number;
  cancellationFee: number;
  cancellationCopay: number;
  total: number;
};
