// Uploads one file to graph-attach with Go's net/http and mime/multipart.
// Usage: upload URL FILE FILENAME CONTENT_TYPE [field=value ...]
// Prints {"status": N, "body": "..."} as JSON on stdout.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strings"
)

// The escaping multipart.Writer.CreateFormFile uses.
var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

func main() {
	if len(os.Args) < 5 {
		fmt.Fprintln(os.Stderr, "usage: upload URL FILE FILENAME CONTENT_TYPE [k=v ...]")
		os.Exit(2)
	}
	url, path, filename, ctype := os.Args[1], os.Args[2], os.Args[3], os.Args[4]

	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}

	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, kv := range os.Args[5:] {
		i := strings.Index(kv, "=")
		if err := w.WriteField(kv[:i], kv[i+1:]); err != nil {
			panic(err)
		}
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename="%s"`,
		quoteEscaper.Replace(filename)))
	h.Set("Content-Type", ctype)
	part, err := w.CreatePart(h)
	if err != nil {
		panic(err)
	}
	part.Write(data)
	w.Close()

	resp, err := http.Post(url, w.FormDataContentType(), &buf)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)

	out, _ := json.Marshal(map[string]interface{}{
		"status": resp.StatusCode, "body": string(body),
	})
	fmt.Println(string(out))
}
