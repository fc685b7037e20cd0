import { type JSX, Show, splitProps } from "solid-js";

type FieldProps = {
  name: string;
  label: string;
  hint?: string;
  error?: string;
  multiline?: boolean;
  /** More ids describing the field (e.g. a form-level error). */
  describedBy?: string;
} & JSX.InputHTMLAttributes<HTMLInputElement>;

/** A labelled text input (or textarea) with its hint and error tied to it by aria-describedby. */
export function TextField(props: FieldProps) {
  const [own, input] = splitProps(props, [
    "name",
    "label",
    "hint",
    "error",
    "multiline",
    "id",
    "value",
    "describedBy",
  ]);
  const id = () => own.id ?? `field-${own.name}`;
  const describedBy = () =>
    [own.hint ? `${id()}-hint` : "", own.error ? `${id()}-error` : "", own.describedBy ?? ""]
      .filter(Boolean)
      .join(" ") || undefined;
  return (
    <div class="field" classList={{ "field-invalid": !!own.error }}>
      <label for={id()}>{own.label}</label>
      <Show when={own.hint}>
        <p class="hint" id={`${id()}-hint`}>
          {own.hint}
        </p>
      </Show>
      <Show when={own.error}>
        <p class="field-error" id={`${id()}-error`}>
          {own.error}
        </p>
      </Show>
      <Show
        when={own.multiline}
        fallback={
          <input
            {...input}
            id={id()}
            name={own.name}
            value={(own.value as string | undefined) ?? ""}
            aria-invalid={own.error ? "true" : undefined}
            aria-describedby={describedBy()}
          />
        }
      >
        <textarea
          id={id()}
          name={own.name}
          rows={6}
          maxLength={input.maxLength}
          value={(own.value as string | undefined) ?? ""}
          aria-invalid={own.error ? "true" : undefined}
          aria-describedby={describedBy()}
        />
      </Show>
    </div>
  );
}

/** A labelled select. */
export function SelectField(props: {
  name: string;
  label: string;
  /** The select's id when `field-<name>` would not be unique on the page. */
  id?: string;
  value?: string;
  hint?: string;
  children: JSX.Element;
}) {
  const id = () => props.id ?? `field-${props.name}`;
  return (
    <div class="field">
      <label for={id()}>{props.label}</label>
      <Show when={props.hint}>
        <p class="hint" id={`${id()}-hint`}>
          {props.hint}
        </p>
      </Show>
      <select id={id()} name={props.name} aria-describedby={props.hint ? `${id()}-hint` : undefined}>
        {props.children}
      </select>
    </div>
  );
}
