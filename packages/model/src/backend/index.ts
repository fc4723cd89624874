export { selectBackend, BACKEND_PREFERENCE, type BackendChoice, type BackendInfo } from "./select.ts";
