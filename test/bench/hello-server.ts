import Koa from "koa";

/** The ceiling: a bare Koa "hello" on the same machine, driven the same way as the hub. */
const app = new Koa();
app.use((ctx) => {
  ctx.body = { hello: "world" };
});
const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const a = server.address();
  console.log(`listening ${typeof a === "object" && a ? a.port : ""}`);
});
