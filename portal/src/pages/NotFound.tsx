/** The page for an address the portal does not know, with a way home. */
import { A } from "@solidjs/router";
import { Page } from "../components/Page";
import { t } from "../i18n";

export function NotFound() {
  return (
    <Page title={t().notFound.title}>
      <p>{t().notFound.text}</p>
      <p>
        <A class="button" href="/">
          {t().notFound.home}
        </A>
      </p>
    </Page>
  );
}
