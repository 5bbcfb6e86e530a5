/** Fetch a file the API serves to signed-in users (a PDF receipt, a CSV
 * report) with the access token, and save it under `filename`. Returns
 * whether it worked. */
export async function downloadWithToken(url: string, filename: string, access: string | null): Promise<boolean> {
  const response = await fetch(url, { headers: access ? { Authorization: `Bearer ${access}` } : {} });
  if (!response.ok) return false;
  const objectUrl = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = objectUrl;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(objectUrl);
  return true;
}
