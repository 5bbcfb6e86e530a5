import { useEffect } from "react";

/** Each route names its page: "Search · RentEzy". */
export function usePageTitle(title: string) {
  useEffect(() => {
    document.title = title ? `${title} · RentEzy` : "RentEzy";
  }, [title]);
}
