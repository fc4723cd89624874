import type { Metadata } from "next";
import { Suspense } from "react";
import { SignInForm } from "./form";

export const metadata: Metadata = { title: "Sign in" };

export default function SignInPage() {
  return (
    <div className="signin-wrap">
      <Suspense>
        <SignInForm />
      </Suspense>
    </div>
  );
}
