package dev.flowmatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The release metadata agrees across the poms: flowmatch-bom (which inherits nothing, so that importing it imports
 * flowmatch's versions only) has the parent's version and address and lists exactly the published modules.
 */
class ProjectMetadataTest {
    private static final Path ROOT = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("..").normalize();

    @Test
    void theBomListsEveryPublishedModuleAtTheParentsVersion() throws Exception {
        Document parent = read(ROOT.resolve("pom.xml"));
        Document bom = read(ROOT.resolve("bom/pom.xml"));
        String version = child(parent.getDocumentElement(), "version");
        assertEquals(version, child(bom.getDocumentElement(), "version"), "bom/pom.xml version");
        String url = child(child(parent.getDocumentElement(), "properties", true), "flowmatch.repository.url");
        assertEquals(url, child(bom.getDocumentElement(), "url"), "bom/pom.xml url (the parent's flowmatch.repository.url)");
        assertTrue(!version.endsWith("-SNAPSHOT"), "a release version: " + version);

        Set<String> published = new TreeSet<>();
        for (String module : texts(parent.getDocumentElement(), "module")) {
            if (module.equals("bom")) {
                continue;
            }
            Document pom = read(ROOT.resolve(module).resolve("pom.xml"));
            Element project = pom.getDocumentElement();
            assertEquals(version, child(child(project, "parent", true), "version"), module + "/pom.xml parent version");
            Element properties = child(project, "properties", false);
            Element skip = properties == null ? null : child(properties, "maven.deploy.skip", false);
            boolean deployed = skip == null || !"true".equals(skip.getTextContent().strip());
            if (deployed) {
                published.add(child(project, "artifactId"));
            }
        }
        Set<String> listed = new TreeSet<>();
        NodeList artifacts = bom.getElementsByTagName("artifactId");
        for (int i = 1; i < artifacts.getLength(); i++) { // 0 is the bom's own
            listed.add(artifacts.item(i).getTextContent().strip());
        }
        assertEquals(published, listed, "flowmatch-bom must list every module that is deployed (a module that is not"
                + " published sets <maven.deploy.skip>true</maven.deploy.skip> in its properties)");
    }

    private static Document read(Path pom) throws Exception {
        assertTrue(Files.isRegularFile(pom), pom + " exists");
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    /** The text of the direct child {@code name} of {@code element}. */
    private static String child(Element element, String name) {
        Element child = child(element, name, true);
        return child.getTextContent().strip();
    }

    private static Element child(Element element, String name, boolean required) {
        for (Node n = element.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        assertTrue(!required, "<" + element.getTagName() + "> has no <" + name + ">");
        return null;
    }

    private static List<String> texts(Element root, String tag) {
        List<String> out = new ArrayList<>();
        NodeList nodes = root.getElementsByTagName(tag);
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add(nodes.item(i).getTextContent().strip());
        }
        return out;
    }
}
