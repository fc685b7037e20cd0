import commonPasswords from "fxa-common-password-list";

/**
 * The rule for a new staff password (OWASP ASVS 4.0.3, 2.1): at least 12 characters, at most 128, any
 * characters (spaces and Japanese included, counted as Unicode code points after NFC), and not one of the
 * 50,000 most common passwords (Mozilla's list, from the SecLists 10-million corpus, also checked in lower
 * case). It applies whenever a password is set — changed or reset — never at sign-in, so an existing password
 * such as the demo's keeps working until it is changed.
 */
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

export type PasswordProblem = "too_short" | "too_long" | "common" | "contains_email";

export function passwordProblems(password: string, email?: string | null): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const length = [...password.normalize("NFC")].length;
  if (length < MIN_PASSWORD_LENGTH) problems.push("too_short");
  if (length > MAX_PASSWORD_LENGTH) problems.push("too_long");
  if (commonPasswords.test(password) || commonPasswords.test(password.toLowerCase())) problems.push("common");
  const local = email?.split("@")[0]?.toLowerCase() ?? "";
  if (local.length >= 4 && password.toLowerCase().includes(local)) problems.push("contains_email");
  return problems;
}

export const PASSWORD_PROBLEM_TEXT: Record<PasswordProblem, string> = {
  too_short: `must be at least ${MIN_PASSWORD_LENGTH} characters long`,
  too_long: `must be at most ${MAX_PASSWORD_LENGTH} characters long`,
  common: "is one of the most common passwords; choose another",
  contains_email: "must not contain your e-mail address",
};
