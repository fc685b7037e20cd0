import { SERVICE_TYPES } from "../api";
import { FilterSelect } from "./FilterSelect";

/** The "service type" filter: an empty choice first (any), then the three services. */
export function ServiceTypeSelect(props: { label: string; empty: string; selected: string | undefined }) {
  return (
    <FilterSelect
      name="serviceType"
      label={props.label}
      empty={props.empty}
      values={SERVICE_TYPES}
      labels="serviceTypes"
      selected={props.selected}
    />
  );
}
