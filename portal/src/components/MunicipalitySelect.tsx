import { For } from "solid-js";
import type { Municipality } from "../api";
import { byRegion } from "../data";
import { SelectField } from "./Field";

/** The "municipality" filter: an empty choice first, then the municipalities grouped by region. */
export function MunicipalitySelect(props: {
  label: string;
  empty: string;
  municipalities: Municipality[] | undefined;
  selected: string | undefined;
}) {
  return (
    <SelectField name="municipality" label={props.label}>
      <option value="">{props.empty}</option>
      <For each={byRegion(props.municipalities ?? [])}>
        {([region, items]) => (
          <optgroup label={region}>
            <For each={items}>
              {(m) => (
                <option value={m.code} selected={m.code === props.selected}>
                  {m.name}
                </option>
              )}
            </For>
          </optgroup>
        )}
      </For>
    </SelectField>
  );
}
